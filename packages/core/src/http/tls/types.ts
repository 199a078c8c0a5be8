/** A serving certificate chain and its private key, PEM-encoded. */
export interface ServingCredentials {
  cert: string;
  key: string;
}

/**
 * Where the server's certificate comes from. `start` delivers the first credentials (if it has them
 * at once) and every later change through `onChange`; `stop` ends watching and rotation.
 */
export interface CertificateSource {
  start(onChange: (credentials: ServingCredentials) => void): Promise<void>;
  stop(): void;
}
