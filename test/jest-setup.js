// Runs before every test file (jest setupFiles). n8n's nodes keep their embedded state store in
// `$N8N_USER_FOLDER/.n8n/wa-cloud/state.sqlite` (home folder by default): give each test file a
// folder of its own, so no test writes into the home folder and no two test files share seen
// webhook events or windows. Processes the e2e harness starts get their own folder explicitly.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-jest-n8n-'));
process.env.N8N_USER_FOLDER = folder;
process.on('exit', () => fs.rmSync(folder, { recursive: true, force: true }));
