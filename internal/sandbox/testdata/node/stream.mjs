// Streaming handler.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('first\n');
  await new Promise((r) => setTimeout(r, 1500));
  responseStream.write('second\n');
  responseStream.end();
});
