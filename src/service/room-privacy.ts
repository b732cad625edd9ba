/**
 * `--private-rooms` in a cluster. The stored set (in the shared database) is the one truth every
 * node reads; the flag only seeds it: a room it names that the store knows nothing of is stored
 * private (and announced to the nodes already running). A room an administrator made public at run
 * time stays public, whatever a node's flag says.
 */
export interface PrivacyAtStart {
  /** Named by the flag, unknown to the store: to be stored private now. */
  seed: string[];
  /** Named by the flag, stored public by an administrator: kept public. */
  keptPublic: string[];
  /** Stored private, not named by this node's flag: private all the same. */
  notInFlag: string[];
  /** The private rooms this node serves from now on. */
  privateRooms: string[];
}

export const privacyAtStart = (flag: readonly string[], stored: ReadonlyMap<string, boolean>): PrivacyAtStart => {
  const named = new Set(flag);
  const seed = [...named].filter((room) => !stored.has(room)).sort();
  const keptPublic = [...named].filter((room) => stored.get(room) === false).sort();
  const storedPrivate = [...stored].filter(([, isPrivate]) => isPrivate).map(([room]) => room);
  const notInFlag = storedPrivate.filter((room) => !named.has(room)).sort();
  return { seed, keptPublic, notInFlag, privateRooms: [...new Set([...storedPrivate, ...seed])].sort() };
};

/** What an operator should read at start: a warning when this node's flag and the stored set differ. */
export const privacyReport = (
  flag: readonly string[],
  at: PrivacyAtStart,
): { level: "warn" | "info"; message: string } | undefined => {
  const parts: string[] = [];
  if (at.notInFlag.length > 0) parts.push(`stored private but not in --private-rooms: ${at.notInFlag.join(", ")}`);
  if (at.keptPublic.length > 0) {
    parts.push(`in --private-rooms but made public by an administrator (kept public): ${at.keptPublic.join(", ")}`);
  }
  if (parts.length === 0) return undefined;
  // A node started without the flag reads the stored set; that is how a cluster is meant to run.
  if (flag.length === 0)
    return { level: "info", message: `private rooms (from the store): ${at.privateRooms.join(", ")}` };
  return {
    level: "warn",
    message: `--private-rooms differs from the stored set, which every node follows (private now: ${at.privateRooms.join(", ") || "none"}); ${parts.join("; ")}`,
  };
};
