// Verify a Hello webhook delivery (Node.js 18+, no dependencies).
//
// Usage: node webhook_verify.js SECRET < request.json, with the request's headers in the
// environment variables HELLO_TIMESTAMP and HELLO_SIGNATURE; exits 0 when it is genuine.
// In a web framework, call verify() with the raw body bytes (before any JSON parsing).
const crypto = require("node:crypto");

function verify(secret, timestamp, signature, body, tolerance = 300) {
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > tolerance) return false; // old: replay
  const mac = crypto.createHmac("sha256", secret).update(`${timestamp}.`).update(body);
  const expected = Buffer.from("v1=" + mac.digest("hex"));
  const given = Buffer.from(signature);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const { HELLO_TIMESTAMP, HELLO_SIGNATURE } = process.env;
  const ok = verify(process.argv[2], HELLO_TIMESTAMP, HELLO_SIGNATURE, Buffer.concat(chunks));
  console.log(ok ? "valid" : "invalid");
  process.exit(ok ? 0 : 1);
});
