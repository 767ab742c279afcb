// The certificates of recipe 11.10 (the book makes a self-signed one with `openssl req`):
// a local CA and a server certificate for localhost / 127.0.0.1 signed by it, written to
// DIR (default .certs) by @net/tls's generateDevCertificates. Prints the files' paths.
// For development and tests only: whoever reads ca.key can sign certificates.
//
// Usage: node examples/11.10-tls/certs.mjs DIR
import { generateDevCertificates } from '@net/tls';

const { files } = await generateDevCertificates({ dir: process.argv[2] ?? '.certs' });
console.log(`CA certificate:     ${files.caCert}`);
console.log(`server certificate: ${files.serverCert}`);
console.log(`server key:         ${files.serverKey}`);
