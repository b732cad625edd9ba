import fc from "fast-check";

/** Text of every kind: ASCII, any code point (lone surrogates included), grapheme clusters. */
export const anyText = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }));

/** Frames shaped like the protocol's, with every field sometimes wrong. */
export const frameLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom("send", "nick", "join", "leave", "who", "history"), anyText, fc.integer()),
    room: fc.oneof(fc.constantFrom("fuzz", "fuzz-b", "lobby"), anyText, fc.integer(), fc.constant(null)),
    text: fc.oneof(anyText, fc.integer(), fc.constant(null), fc.array(fc.string())),
    cid: fc.oneof(fc.string({ maxLength: 140 }), fc.integer()),
    nick: fc.oneof(anyText, fc.string({ minLength: 30, maxLength: 40 }), fc.integer()),
    since: fc.oneof(fc.nat(), fc.integer({ min: -10, max: 10 }), fc.double(), fc.string()),
    limit: fc.oneof(fc.nat(1000), fc.integer({ min: -10, max: 10 }), fc.double()),
    before: fc.oneof(fc.nat(), fc.integer({ min: -10, max: 10 }), fc.string()),
  },
  { requiredKeys: [] },
);
