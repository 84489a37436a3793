/** Input limits, in a module without zod so client components can import them cheaply. */
export const PASSWORD_MIN_LENGTH = 8;
/** Longer passwords are refused before hashing, so a huge input cannot buy server CPU. */
export const PASSWORD_MAX_LENGTH = 128;
export const EMAIL_MAX_LENGTH = 254;
export const NAME_MAX_LENGTH = 80;
export const NOTE_MAX_LENGTH = 500;
