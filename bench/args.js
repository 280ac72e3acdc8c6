// The command-line options of the bench scripts that take `--name value` or `--name=value`.

/** A lookup of args' options: option("--rounds") is the value after "--rounds" (or after "--rounds="), else undefined. */
export function optionsOf(args) {
  return (name) => {
    const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
    if (i < 0) return undefined;
    return args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
  };
}
