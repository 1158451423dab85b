// TRUSTED_DOCUMENTS and where the build put the manifest (http/trusted-documents.ts).
import path from 'node:path';
import { ConfigError } from '../config/config';

export type TrustedDocumentsMode = 'off' | 'allow' | 'require-public';

export interface TrustedDocumentsConfig {
  mode: TrustedDocumentsMode;
  /** TRUSTED_DOCUMENTS_MANIFEST: where the build put the manifest. */
  manifest: string;
}

/** packages/api/generated/trusted-documents.json, from src/http (ts) and dist/http (js) alike. */
export const DEFAULT_MANIFEST = path.resolve(__dirname, '../../generated/trusted-documents.json');

export function loadTrustedDocumentsConfig(env: NodeJS.ProcessEnv): TrustedDocumentsConfig {
  const mode = (env.TRUSTED_DOCUMENTS ?? '').trim().toLowerCase() || 'allow';
  if (mode !== 'off' && mode !== 'allow' && mode !== 'require-public')
    throw new ConfigError(
      `TRUSTED_DOCUMENTS must be "off", "allow" or "require-public", got "${env.TRUSTED_DOCUMENTS}"`,
    );
  return { mode, manifest: env.TRUSTED_DOCUMENTS_MANIFEST?.trim() || DEFAULT_MANIFEST };
}
