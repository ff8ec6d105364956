/** Imported first by a bench: the functions' logs at ERROR, so the bench's own output is readable. */
process.env.LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
