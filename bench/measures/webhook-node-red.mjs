export async function nodeRedIngest() {
  throw new Error('Node-RED part not written yet');
}
