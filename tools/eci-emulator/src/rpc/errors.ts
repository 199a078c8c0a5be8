/**
 * Errors as Alibaba Cloud's RPC gateway and ECI report them: an HTTP status plus the JSON body
 * `{RequestId, HostId, Code, Message, Recommend}`. Codes and messages of the gateway (auth,
 * signature, throttling) are the published ones; see the package README for the ECI-level codes.
 */
export class EciApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EciApiError';
  }
}

export const apiErrors = {
  missingParameter: (name: string) =>
    new EciApiError(
      400,
      'MissingParameter',
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    ),
  invalidParameter: (name: string, detail?: string) =>
    new EciApiError(
      400,
      'InvalidParameter',
      `The specified parameter "${name}" is not valid.${detail ? ` ${detail}` : ''}`,
    ),
  invalidAction: () =>
    new EciApiError(
      404,
      'InvalidAction.NotFound',
      'Specified api is not found, please check your url and method.',
    ),
  invalidVersion: () => new EciApiError(400, 'InvalidVersion', 'Specified parameter Version is not valid.'),
  invalidRegion: (region: string) =>
    new EciApiError(400, 'InvalidRegionId', `The specified region "${region}" does not exist.`),
  accessKeyNotFound: () =>
    new EciApiError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'),
  incompleteSignature: () =>
    new EciApiError(
      400,
      'IncompleteSignature',
      'The request signature does not conform to Aliyun standards.',
    ),
  signatureMismatch: (stringToSign: string) =>
    new EciApiError(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
    ),
  nonceUsed: () => new EciApiError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'),
  timestampExpired: () =>
    new EciApiError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.'),
  timestampFormat: () =>
    new EciApiError(
      400,
      'InvalidTimeStamp.Format',
      'Specified time stamp or date value is not well formatted.',
    ),
  securityTokenMalformed: () =>
    new EciApiError(400, 'InvalidSecurityToken.Malformed', 'Specified SecurityToken is malformed.'),
  securityTokenMismatch: () =>
    new EciApiError(
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
      'Specified SecurityToken mismatch with the AccessKey.',
    ),
  securityTokenExpired: () =>
    new EciApiError(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.'),
  throttling: (code: ThrottlingCode) =>
    new EciApiError(
      400,
      code,
      code === 'Throttling.User'
        ? 'Request was denied due to user flow control.'
        : 'Request was denied due to request throttling.',
    ),
  idempotentMismatch: () =>
    new EciApiError(
      400,
      'IdempotentParameterMismatch',
      'Request uses a client token in a previous request but is not identical to that request.',
    ),
  networkNotFound: (key: 'VSwitchId' | 'SecurityGroupId', id: string) =>
    new EciApiError(404, `Invalid${key}.NotFound`, `The specified ${key} "${id}" does not exist.`),
  dryRun: () =>
    new EciApiError(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.'),
  groupNotFound: (id: string) =>
    new EciApiError(
      404,
      'InvalidContainerGroup.NotFound',
      `The specified ContainerGroupId "${id}" is not found.`,
    ),
  incorrectGroupStatus: (status: string) =>
    new EciApiError(
      403,
      'IncorrectStatus',
      `The current status of the resource does not support this operation. (Status: ${status})`,
    ),
  incorrectContainerStatus: (containerName: string) =>
    new EciApiError(
      403,
      'IncorrectStatus',
      `The current status of ContainerName:${containerName} does not support this operation.`,
    ),
  internal: () =>
    new EciApiError(
      500,
      'InternalError',
      'The request processing has failed due to some unknown error, exception or failure.',
    ),
};

export type ThrottlingCode = 'Throttling' | 'Throttling.User';
