import { ValidationError } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A construct's refusal of its props, as CDK's own constructs throw it: a `ValidationError`
 * scoped to the construct (`Errors.isValidationError(error)` is true; the CLI shows the construct
 * path). CDK marks the class's constructor internal, so it is built here only: if its signature
 * changes, this is the one line to follow.
 */
export function validationError(
  id: string,
  message: string,
  scope: IConstruct,
): InstanceType<typeof ValidationError> {
  return new ValidationError(
    id as ConstructorParameters<typeof ValidationError>[0],
    message,
    scope,
  );
}
