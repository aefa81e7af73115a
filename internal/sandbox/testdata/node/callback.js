// Callback-style handler.
exports.handler = function (event, context, callback) {
  setTimeout(() => callback(null, { statusCode: 200, body: JSON.stringify('Hello from Lambda!'), echo: event }), 10);
};
