import { Placeholder } from './Placeholder';

export function TrainTab() {
  return (
    <Placeholder title="Train">
      <ul>
        <li>
          fast.ai&apos;s recipe: fit frozen → save → unfreeze → LR finder → fit with discriminative rates.
        </li>
        <li>A live epoch table (epoch, train_loss, valid_loss, error_rate, time) and loss curves.</li>
        <li>Checkpoints kept in this browser, resumable after a reload.</li>
      </ul>
    </Placeholder>
  );
}
