/** `parley/client`: the client package (parley-client), also reachable through the server package. */
export * from "parley-client";
