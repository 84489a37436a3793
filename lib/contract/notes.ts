/** The demo's protected data: `GET /api/notes` and `POST /api/notes`. */
import { z } from "zod";

export const noteSchema = z.object({ id: z.string(), body: z.string(), createdAt: z.string() });
export type Note = z.infer<typeof noteSchema>;

export const notesBodySchema = z.object({ notes: z.array(noteSchema) });
export const noteBodySchema = z.object({ note: noteSchema });
