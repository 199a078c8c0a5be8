export {
  defaultMotoExecutable,
  isMotoInstalled,
  startMoto,
  type MotoOptions,
  type MotoServer,
  type MotoTransition,
} from './moto.js';
