// One labelled text input of a recipe step ("epochs [4]", "max lr [3e-3]", "steps [100]").
export function StepField({
  label,
  name,
  value,
  onChange,
  size,
  numeric = false,
  title,
}: {
  /** The visible label before the input. */
  label: string;
  /** The input's accessible name (what tests and screen readers find it by). */
  name: string;
  value: string;
  onChange(value: string): void;
  size: number;
  numeric?: boolean;
  title?: string;
}) {
  return (
    <label title={title}>
      {label}{' '}
      <input
        aria-label={name}
        inputMode={numeric ? 'numeric' : undefined}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        size={size}
      />
    </label>
  );
}
