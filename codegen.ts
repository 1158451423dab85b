import type { CodegenConfig } from '@graphql-codegen/cli';

// schema.graphql (emitted from the API's classes) + the SDK's operation
// documents -> typed documents, twice:
// - packages/sdk/src/generated: string mode, each operation a
//   TypedDocumentString, for the SDK's own client (no GraphQL runtime, only fetch);
// - packages/sdk/src/generated-documents: TypedDocumentNodes (the parsed
//   documents as plain objects), for Apollo Client, urql and the like
//   (`@tickets/sdk/documents`).
// Both carry each document's id (`__meta__.hash`, "sha256:<hex>" of the
// printed document, the GraphQL-over-HTTP persisted documents appendix's
// spelling) and write persisted-documents.json, the trusted documents the
// API accepts by id (scripts/trusted-documents.mjs ships it to the API).
const typesConfig = {
  enumsAsTypes: true,
  useTypeImports: true,
  avoidOptionals: { field: true, inputValue: false, object: true },
  scalars: { DateTime: 'string', ID: 'string' },
  strictScalars: true,
  skipTypename: true,
};

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['packages/sdk/src/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'packages/sdk/src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql', persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: { documentMode: 'string', ...typesConfig },
    },
    'packages/sdk/src/generated-documents/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'graphql', persistedDocuments: { hashAlgorithm: 'sha256' } },
      config: { documentMode: 'documentNode', ...typesConfig },
    },
  },
  hooks: { afterAllFileWrite: ['node scripts/trusted-documents.mjs'] },
  silent: true,
};

export default config;
