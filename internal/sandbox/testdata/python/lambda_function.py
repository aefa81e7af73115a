import json


def lambda_handler(event, context):
    print("event", json.dumps(event))
    if event.get("fail"):
        raise ValueError(event["fail"])
    return {
        "statusCode": 200,
        "body": json.dumps("Hello from Lambda!"),
        "requestId": context.aws_request_id,
        "functionName": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
    }
