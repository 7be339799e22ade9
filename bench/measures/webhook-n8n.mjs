export async function n8nIngest() {
  throw new Error('n8n part not written yet');
}
