// The apimachinery IsEnvVarName rule upstream virtual-kubelet applies to envFrom keys.
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** True when `name` may be used as an environment variable name. */
export function isEnvVarName(name: string): boolean {
  if (!ENV_VAR_NAME.test(name)) return false;
  // apimachinery's hasChDirPrefix: ".", ".." and names starting with ".." are rejected.
  return name !== '.' && !name.startsWith('..');
}
