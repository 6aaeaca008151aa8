import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface UninstallAlarmsProps {
  readonly deadLetterQueue: sqs.IQueue;
  readonly cleanupFunction: lambda.IFunction;
  /** Notified in alarm and back to OK. @default none */
  readonly topic?: sns.ITopic;
}

export interface UninstallAlarms {
  /** In alarm while the dead-letter queue holds a message: an install or uninstall event that failed. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** In alarm when the cleanup function fails an invocation (a crash or a timeout). */
  readonly errorAlarm: cloudwatch.Alarm;
}

/**
 * The two alarms that make a failed uninstall visible. Any message in the dead-letter queue is
 * a namespace whose secrets are still there; any function error is a crash or a timeout (a
 * failed record is a partial batch failure, not a function error, and ends in the queue).
 */
export function uninstallAlarms(scope: Construct, props: UninstallAlarmsProps): UninstallAlarms {
  const anyInFiveMinutes = {
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
  const deadLetterAlarm = new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
    alarmDescription:
      'An install or uninstall event failed 5 times (or EventBridge could not deliver it): its secrets are not deleted. Redrive it as the README says.',
    metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    ...anyInFiveMinutes,
  });
  const errorAlarm = new cloudwatch.Alarm(scope, 'ErrorAlarm', {
    alarmDescription:
      'The secrets store cleanup function failed an invocation (crash or timeout); SQS retries its messages.',
    metric: props.cleanupFunction.metricErrors({
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.SUM,
    }),
    ...anyInFiveMinutes,
  });
  if (props.topic) {
    const action = new cloudwatchActions.SnsAction(props.topic);
    for (const alarm of [deadLetterAlarm, errorAlarm]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
  return { deadLetterAlarm, errorAlarm };
}
