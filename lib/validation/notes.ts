import { z } from "zod";

export const NOTE_MAX_LENGTH = 500;

export const createNoteSchema = z.object({
  body: z
    .string({ error: "Write something first." })
    .trim()
    .min(1, "Write something first.")
    .max(NOTE_MAX_LENGTH, `A note is at most ${NOTE_MAX_LENGTH} characters.`),
});
