import { z } from "zod";
import { NOTE_MAX_LENGTH } from "@/lib/validation/limits";

export const createNoteSchema = z.object({
  body: z
    .string({ error: "Write something first." })
    .trim()
    .min(1, "Write something first.")
    .max(NOTE_MAX_LENGTH, `A note is at most ${NOTE_MAX_LENGTH} characters.`),
});
