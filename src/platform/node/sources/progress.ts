/**
 * What model sources report while they work. A renderer (src/cli/progress.ts) turns these into a
 * progress bar; library users may log them or ignore them.
 */
export type Progress =
  /** A byte-counted task begins: a download, an assembly, a checksum pass. */
  | { readonly type: "start"; readonly label: string; readonly total: number | undefined }
  /** `done` bytes of the task named `label` are finished. */
  | { readonly type: "advance"; readonly label: string; readonly done: number; readonly total: number | undefined }
  | { readonly type: "finish"; readonly label: string }
  /** Something the user should know that is not an error (a skipped layer, a wait for a lock). */
  | { readonly type: "note"; readonly message: string };

export type ProgressListener = (p: Progress) => void;
