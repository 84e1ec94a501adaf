import { Placeholder } from './Placeholder';

export function InterpretTab() {
  return (
    <Placeholder title="Interpret">
      <ul>
        <li>Confusion matrix, most-confused pairs and top losses on the validation set.</li>
        <li>Clean the data: keep, delete or relabel the images the model finds hardest.</li>
      </ul>
    </Placeholder>
  );
}
