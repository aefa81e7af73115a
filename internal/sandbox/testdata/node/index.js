// CommonJS handler, async.
exports.handler = async (event, context) => {
  console.log('event', JSON.stringify(event));
  if (event.fail) throw new TypeError(event.fail);
  return {
    statusCode: 200,
    body: JSON.stringify('Hello from Lambda!'),
    requestId: context.awsRequestId,
    functionName: context.functionName,
    remaining: context.getRemainingTimeInMillis(),
  };
};
