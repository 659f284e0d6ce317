#!/usr/bin/env bash
# Create (or update: every call is idempotent) InvoiceFlow's CloudWatch metric filters and alarms.
#
#   AWS_REGION=eu-central-1 ALARM_TOPIC_ARN=arn:aws:sns:...:invoiceflow-alerts docker/cloudwatch-setup.sh
#
# Sources (docs/deploy-ec2.md, "Metrics and alarms"):
#   - the API's JSON access log in CloudWatch Logs (docker-compose.aws.yml): one line per request
#     with `status` and `duration_ms` -> InvoiceFlow/ApiRequests, Api5xx, ApiLatencyMs, AppErrors
#   - the API's Prometheus metrics, scraped by the CloudWatch agent (docker/cloudwatch/) ->
#     InvoiceFlow/invoiceflow_queue_jobs{status}, invoiceflow_queue_oldest_waiting_seconds
#   - the agent's host metrics -> InvoiceFlow/Host mem_used_percent, disk used_percent
# Thresholds are variables below; the defaults match the goals in docs/operations.md.
set -euo pipefail

log_group="${INVOICEFLOW_LOG_GROUP:-/invoiceflow/prod}"
topic="${ALARM_TOPIC_ARN:?set ALARM_TOPIC_ARN to the SNS topic that pages you}"
region="${AWS_REGION:?set AWS_REGION}"
error_rate_pct="${ALARM_ERROR_RATE_PERCENT:-1}"        # 5xx share of API requests
latency_p99_ms="${ALARM_LATENCY_P99_MS:-1000}"         # API p99 over 5 minutes
queue_depth="${ALARM_QUEUE_DEPTH:-2000}"               # jobs waiting
queue_age_s="${ALARM_QUEUE_OLDEST_SECONDS:-900}"       # oldest waiting job
aws_cw=(aws --region "$region")

filter() {  # filter NAME PATTERN VALUE [UNIT]
  local name="$1" pattern="$2" value="$3" unit="${4:-Count}"
  "${aws_cw[@]}" logs put-metric-filter --log-group-name "$log_group" --filter-name "invoiceflow-$name" \
    --filter-pattern "$pattern" \
    --metric-transformations "metricName=$name,metricNamespace=InvoiceFlow,metricValue=$value,defaultValue=0,unit=$unit"
  echo "metric filter InvoiceFlow/$name on $log_group"
}

alarm() {  # alarm NAME JSON: the rest of put-metric-alarm's input
  local name="$1" body="$2"
  "${aws_cw[@]}" cloudwatch put-metric-alarm --cli-input-json "$(printf '{"AlarmName":"%s","AlarmActions":["%s"],"OKActions":["%s"],%s}' "$name" "$topic" "$topic" "$body")"
  echo "alarm $name"
}

"${aws_cw[@]}" logs create-log-group --log-group-name "$log_group" 2>/dev/null || true

filter ApiRequests '{ $.logger = "invoiceflow.access" }' 1
filter Api5xx '{ $.logger = "invoiceflow.access" && $.status >= 500 }' 1
filter ApiLatencyMs '{ $.logger = "invoiceflow.access" }' '$.duration_ms' Milliseconds
filter AppErrors '{ $.level = "ERROR" || $.level = "CRITICAL" }' 1

# 5xx share, only judged when there is traffic (>= 20 requests in the 5 minutes).
alarm invoiceflow-api-error-rate "$(cat <<JSON
"AlarmDescription":"API 5xx above ${error_rate_pct}% of requests for 10 minutes",
"Metrics":[
 {"Id":"requests","MetricStat":{"Metric":{"Namespace":"InvoiceFlow","MetricName":"ApiRequests"},"Period":300,"Stat":"Sum"},"ReturnData":false},
 {"Id":"errors","MetricStat":{"Metric":{"Namespace":"InvoiceFlow","MetricName":"Api5xx"},"Period":300,"Stat":"Sum"},"ReturnData":false},
 {"Id":"rate","Expression":"IF(requests >= 20, 100 * errors / requests, 0)","Label":"5xx %","ReturnData":true}],
"ComparisonOperator":"GreaterThanThreshold","Threshold":${error_rate_pct},
"EvaluationPeriods":2,"DatapointsToAlarm":2,"TreatMissingData":"notBreaching"
JSON
)"

alarm invoiceflow-api-latency-p99 "$(cat <<JSON
"AlarmDescription":"API p99 latency above ${latency_p99_ms} ms for 15 minutes",
"Namespace":"InvoiceFlow","MetricName":"ApiLatencyMs","ExtendedStatistic":"p99","Period":300,
"ComparisonOperator":"GreaterThanThreshold","Threshold":${latency_p99_ms},
"EvaluationPeriods":3,"DatapointsToAlarm":3,"TreatMissingData":"notBreaching"
JSON
)"

alarm invoiceflow-queue-depth "$(cat <<JSON
"AlarmDescription":"more than ${queue_depth} jobs waiting for 15 minutes: add workers (docs/deploy-ec2.md, Sizing)",
"Namespace":"InvoiceFlow","MetricName":"invoiceflow_queue_jobs","Dimensions":[{"Name":"status","Value":"todo"}],
"Statistic":"Maximum","Period":300,
"ComparisonOperator":"GreaterThanThreshold","Threshold":${queue_depth},
"EvaluationPeriods":3,"DatapointsToAlarm":3,"TreatMissingData":"notBreaching"
JSON
)"

# Missing data breaches: no datapoint means the API or the agent's scrape is down.
alarm invoiceflow-queue-stalled "$(cat <<JSON
"AlarmDescription":"oldest waiting job older than ${queue_age_s} s (workers stuck or down), or no metrics at all",
"Namespace":"InvoiceFlow","MetricName":"invoiceflow_queue_oldest_waiting_seconds","Dimensions":[{"Name":"job","Value":"invoiceflow-api"}],
"Statistic":"Maximum","Period":300,
"ComparisonOperator":"GreaterThanThreshold","Threshold":${queue_age_s},
"EvaluationPeriods":2,"DatapointsToAlarm":2,"TreatMissingData":"breaching"
JSON
)"

alarm invoiceflow-host-memory "$(cat <<JSON
"AlarmDescription":"host memory above 90%",
"Namespace":"InvoiceFlow/Host","MetricName":"mem_used_percent","Dimensions":[{"Name":"InstanceId","Value":"${INSTANCE_ID:?set INSTANCE_ID (the EC2 instance id)}"}],
"Statistic":"Average","Period":300,"ComparisonOperator":"GreaterThanThreshold","Threshold":90,
"EvaluationPeriods":3,"DatapointsToAlarm":3,"TreatMissingData":"breaching"
JSON
)"

alarm invoiceflow-host-disk "$(cat <<JSON
"AlarmDescription":"root volume above 85% (docker images and logs)",
"Namespace":"InvoiceFlow/Host","MetricName":"disk_used_percent","Dimensions":[{"Name":"InstanceId","Value":"${INSTANCE_ID}"}],
"Statistic":"Maximum","Period":300,"ComparisonOperator":"GreaterThanThreshold","Threshold":85,
"EvaluationPeriods":1,"DatapointsToAlarm":1,"TreatMissingData":"notBreaching"
JSON
)"
echo "cloudwatch-setup: 4 metric filters and 6 alarms in $region, notifying $topic"
