/** One entry of an ARM error body (`CloudErrorBody` in the ContainerInstance definition). */
export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorBody[];
}

/**
 * An ARM error answer: the HTTP status, the `{error: {code, message}}` body Azure sends and any headers
 * that go with it (`WWW-Authenticate` on 401, `Retry-After` on 429).
 */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { target?: string; details?: ArmErrorBody[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ArmError';
  }

  body(): { error: ArmErrorBody } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.extra.target !== undefined ? { target: this.extra.target } : {}),
        ...(this.extra.details ? { details: this.extra.details } : {}),
      },
    };
  }
}

const CONTAINER_GROUPS_TYPE = 'Microsoft.ContainerInstance/containerGroups';

/** ARM's answer for a resource that does not exist (the text Azure uses, link included). */
export function resourceNotFound(resourceGroup: string, name: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${CONTAINER_GROUPS_TYPE}/${name}' under resource group '${resourceGroup}' was not found. ` +
      'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
  );
}

export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return new ArmError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
}

export function invalidRequestContent(detail: string): ArmError {
  return new ArmError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: '${detail}'.`,
  );
}
