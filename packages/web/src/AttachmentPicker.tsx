// Screenshots with a new ticket: pick or drop files; each uploads at once
// (with progress) and the form sends the ids of the finished ones.
import { useId, useRef, useState, type DragEvent } from 'react';
import type { TicketClient } from '@tickets/sdk';
import { client as publicClient } from './api';
import { describeUploadError } from './errors';

const ACCEPT = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'];
/** The server's limit per ticket event. */
export const MAX_FILES = 5;

export interface PickedFile {
  key: string;
  name: string;
  size: number;
  /** 0..1 while uploading. */
  progress: number;
  attachmentId?: string;
  error?: string;
}

export const sizeLabel = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(0)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** `client`: whose uploads these are (an agent's token client on the agents' pages; the public one by default). */
export function AttachmentPicker({
  files,
  onChange,
  error,
  client = publicClient,
}: {
  files: PickedFile[];
  onChange: (update: (files: PickedFile[]) => PickedFile[]) => void;
  error?: string;
  client?: TicketClient;
}) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  function add(list: FileList | null) {
    const room = MAX_FILES - files.length;
    for (const file of Array.from(list ?? []).slice(0, Math.max(0, room))) {
      const key = `${file.name}-${file.size}-${Math.random()}`;
      const patch = (p: Partial<PickedFile>) => onChange((all) => all.map((f) => (f.key === key ? { ...f, ...p } : f)));
      onChange((all) => [...all, { key, name: file.name, size: file.size, progress: 0 }]);
      client
        .uploadAttachment(file, {
          filename: file.name,
          contentType: file.type || 'application/octet-stream',
          onProgress: (sent, total) => patch({ progress: total ? sent / total : 0 }),
        })
        .then((attachmentId) => patch({ attachmentId, progress: 1 }))
        .catch((e) => patch({ error: describeUploadError(e) }));
    }
    if (input.current) input.current.value = '';
  }

  function drop(e: DragEvent) {
    e.preventDefault();
    setOver(false);
    add(e.dataTransfer.files);
  }

  return (
    <div className="field">
      <label htmlFor={id}>
        Screenshots or files <span className="muted">(optional, up to {MAX_FILES}: images, PDF, text)</span>
      </label>
      <div
        className={`dropzone${over ? ' over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        {/* The native control would say "No file chosen" after each pick (it is emptied for the next one): the names are said here. */}
        <input
          ref={input}
          id={id}
          className="file-input"
          type="file"
          multiple
          accept={ACCEPT.join(',')}
          disabled={files.length >= MAX_FILES}
          onChange={(e) => add(e.target.files)}
          aria-describedby={error ? `${id}-error` : `${id}-chosen`}
        />
        <label htmlFor={id} className="button secondary choose">
          Choose files
        </label>
        <span className="muted" id={`${id}-chosen`} data-testid="chosen-files">
          {files.length ? `Chosen: ${files.map((f) => f.name).join(', ')}` : 'No file chosen; or drop them here'}
        </span>
      </div>
      {files.length > 0 && (
        <ul className="picked" aria-live="polite">
          {files.map((f) => (
            <li
              key={f.key}
              data-testid="picked-file"
              data-state={f.error ? 'failed' : f.attachmentId ? 'uploaded' : 'uploading'}
            >
              <span className="picked-name">{f.name}</span> <span className="muted">{sizeLabel(f.size)}</span>{' '}
              {f.error ? (
                <span className="field-error">{f.error}</span>
              ) : f.attachmentId ? (
                <span>Uploaded</span>
              ) : (
                <progress max={1} value={f.progress} aria-label={`Uploading ${f.name}`} />
              )}{' '}
              <button
                type="button"
                className="link"
                onClick={() => onChange((all) => all.filter((x) => x.key !== f.key))}
                aria-label={`Remove ${f.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
