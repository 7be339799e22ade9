// Loaded with `node --require` into the n8n process only (measure 3): answers dns.lookup for
// Meta's Graph host with the loopback address of the bench's TLS proxy, so n8n's built-in
// WhatsApp node (whose base URL is fixed to https://graph.facebook.com) reaches the sandbox.
// Every other name resolves as usual. The proxy's self-signed certificate is trusted through
// NODE_EXTRA_CA_CERTS; nothing else about TLS is relaxed.
'use strict';
const dns = require('dns');

const HOST = 'graph.facebook.com';
const address = process.env.BENCH_GRAPH_ADDRESS;

if (address) {
  const original = dns.lookup;
  dns.lookup = function lookup(hostname, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    if (String(hostname).toLowerCase().replace(/\.$/, '') !== HOST) return original.call(this, hostname, options, callback);
    const all = typeof options === 'object' && options !== null && options.all;
    process.nextTick(() => (all ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4)));
    return {};
  };
  const originalPromise = dns.promises.lookup;
  dns.promises.lookup = async function lookup(hostname, options) {
    if (String(hostname).toLowerCase().replace(/\.$/, '') !== HOST) return originalPromise.call(this, hostname, options);
    return typeof options === 'object' && options !== null && options.all ? [{ address, family: 4 }] : { address, family: 4 };
  };
}
