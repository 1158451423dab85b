// What the bytes of an upload are. Binary types by their signature
// (the `file-type` package, from the first bytes); plain text by being
// valid UTF-8 without NULs from the first byte to the last.
import { isAllowedType, TEXT, type AllowedType } from './content-types';

/** Bytes file-type needs to recognise every type it knows (its own figure). */
export const SNIFF_BYTES = 4100;

type FileTypeModule = { fileTypeFromBuffer(buffer: Uint8Array): Promise<{ mime: string } | undefined> };
let fileType: Promise<FileTypeModule> | undefined;

/**
 * file-type is an ES module; this API is CommonJS. Node >= 20.19 loads it
 * with require(); loaded on first use, so processes that never take an
 * upload never load it.
 */
function loadFileType(): Promise<FileTypeModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  fileType ??= Promise.resolve().then(() => require('file-type') as FileTypeModule);
  return fileType;
}

/** The sniffed type of these first bytes: an allowed one, 'text' (no signature) or null (a type we refuse). */
export async function sniff(head: Uint8Array): Promise<AllowedType | 'none' | null> {
  const found = await (await loadFileType()).fileTypeFromBuffer(head);
  if (!found) return 'none';
  return isAllowedType(found.mime) && found.mime !== TEXT ? found.mime : null;
}

/** Follows a stream of bytes and says, at its end, whether all of it was UTF-8 text without NULs. */
export class TextCheck {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private ok = true;

  push(chunk: Uint8Array): void {
    if (!this.ok) return;
    if (chunk.includes(0)) {
      this.ok = false;
      return;
    }
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.ok = false;
    }
  }

  /** Call once, after the last chunk: a sequence cut at the end is not text. */
  end(): boolean {
    if (!this.ok) return false;
    try {
      this.decoder.decode();
      return true;
    } catch {
      return false;
    }
  }
}
