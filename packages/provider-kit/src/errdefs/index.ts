export {
  AlreadyExistsError,
  errorKind,
  InvalidInputError,
  isAlreadyExists,
  isInvalidInput,
  isNotFound,
  isTransient,
  isUnsupported,
  NotFoundError,
  ProviderError,
  TransientError,
  UnsupportedError,
  type ErrorKind,
} from './errors.js';
export { errorMessage } from './error-message.js';
