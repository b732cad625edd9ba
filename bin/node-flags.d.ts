export declare const YOUNG_GENERATION: string;
export declare const ONE_CORE_GC: string;
/** The flags to add to a server's start, given those it already has; `cores` defaults to `os.availableParallelism()`. */
export declare const serverFlags: (given: readonly string[], cores?: number) => string[];
