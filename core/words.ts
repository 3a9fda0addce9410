// Counted nouns in messages: "1 epoch", "2 epochs" (every host's messages say them the same way).

/** `n` and the noun, singular for exactly one. */
export const counted = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
