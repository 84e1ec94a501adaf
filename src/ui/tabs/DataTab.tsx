import { Placeholder } from './Placeholder';

export function DataTab() {
  return (
    <Placeholder title="Data">
      <ul>
        <li>Drop one URL list per class (urls_&lt;class&gt;.csv, as saved from an image search).</li>
        <li>Images are downloaded, verified, shrunk to 500 px and kept in this browser (IndexedDB).</li>
        <li>A show_batch grid to browse, relabel and delete images.</li>
      </ul>
    </Placeholder>
  );
}
