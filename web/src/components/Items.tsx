import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { allows } from '../allowed';
import { type Annotation, api, cancellable, type Dataset, type Item, type Layer, uploadFiles } from '../api';
import { keys } from '../queries';
import { ErrorNote, Field, isMissing, plural, Spinner } from './ui';

const isImage = (item: Item) => item.contentType.startsWith('image/') && item.contentType !== 'image/tiff';
const size = (bytes: number) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

function Upload({ datasetId, onUploaded }: { datasetId: string; onUploaded(): void }) {
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function choose(files: FileList | null) {
    if (!files || files.length === 0) return;
    setError(null);
    setProgress(0);
    try {
      await uploadFiles(datasetId, [...files], setProgress);
      onUploaded();
    } catch (caught) {
      setError(caught);
    } finally {
      setProgress(null);
    }
  }
  return (
    <div className="upload">
      <label className="button-like">
        Upload files
        <input type="file" multiple onChange={(e) => void choose(e.target.files)} disabled={progress !== null} />
      </label>
      {progress !== null ? (
        <label className="progress">
          Uploading… <progress value={progress} max={1} aria-label="Upload progress" /> {Math.round(progress * 100)}%
        </label>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

function ItemAnnotations({ item, layers, canAnnotate, onChange }: { item: Item; layers: Layer[]; canAnnotate: boolean; onChange(): void }) {
  const queryClient = useQueryClient();
  // The item's annotations on every layer, asked layer by layer.
  const queryKey = ['item', item.id, 'annotations', layers.map((l) => l.id)];
  const answer = useQuery({
    queryKey,
    queryFn: ({ signal }) =>
      cancellable(signal, () => Promise.all(layers.map((l) => api.annotations(l.id, item.id).then((p) => p.items)))).then((all) =>
        all.flat(),
      ),
  });
  const annotations: Annotation[] | null = answer.data ?? null;
  const [layerId, setLayerId] = useState(layers[0]?.id ?? '');
  const [label, setLabel] = useState('');
  const [failure, setError] = useState<unknown>(null);
  const error = failure ?? answer.error;
  const load = () => queryClient.invalidateQueries({ queryKey });
  async function add(event: FormEvent) {
    event.preventDefault();
    try {
      await api.annotate(layerId, { itemId: item.id, label });
      setLabel('');
      await load();
      onChange();
    } catch (caught) {
      setError(caught);
    }
  }
  const layerName = (id: string) => layers.find((l) => l.id === id)?.name ?? '';
  return (
    <div className="item-panel">
      <h3>{item.name}</h3>
      <p className="muted">
        {item.contentType} · {size(item.size)} ·{' '}
        <a href={`/api/v1/items/${item.id}/content`} download={item.name}>
          Download
        </a>
      </p>
      {annotations === null ? (
        <Spinner />
      ) : annotations.length === 0 ? (
        <p className="muted">No annotations on this item.</p>
      ) : (
        <ul className="annotations">
          {annotations.map((a) => (
            <li key={a.id}>
              <span className="chip">{layerName(a.layerId)}</span> {a.label}
              {a.bbox ? <span className="muted"> [{a.bbox.join(', ')}]</span> : null}
              {canAnnotate ? (
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Delete annotation ${a.label}`}
                  onClick={() => void api.deleteAnnotation(a.id).then(load).then(onChange, setError)}
                >
                  Delete
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {canAnnotate && layers.length > 0 ? (
        <form className="inline" onSubmit={add}>
          <Field label="Layer">
            {(id) => (
              <select id={id} value={layerId} onChange={(e) => setLayerId(e.target.value)}>
                {layers.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Label">
            {(id) => <input id={id} value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={500} />}
          </Field>
          <button type="submit">Add annotation</button>
        </form>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

/** Items with thumbnails, upload with progress, annotation layers and annotations, by level. */
export function Items({ dataset, onChange }: { dataset: Dataset; onChange(): void }) {
  const queryClient = useQueryClient();
  const [selected, setSelected] = useState<Item | null>(null);
  const [layerName, setLayerName] = useState('');
  const [failure, setError] = useState<unknown>(null);
  const canUpload = allows(dataset, 'dataset.upload');
  const canCreateLayer = allows(dataset, 'dataset.createLayer');
  const canAnnotate = allows(dataset, 'dataset.annotate');
  const list = useInfiniteQuery({
    queryKey: keys.items(dataset.id),
    queryFn: ({ pageParam, signal }) => cancellable(signal, () => api.items(dataset.id, pageParam)),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  });
  const layerList = useQuery({
    queryKey: keys.layers(dataset.id),
    queryFn: ({ signal }) => cancellable(signal, () => api.layers(dataset.id)),
  });
  const items: Item[] | null = list.data ? list.data.pages.flatMap((page) => page.items) : null;
  const layers: Layer[] = layerList.data?.items ?? [];
  // A server without items (or a viewer refused them) leaves the section out.
  const missing = isMissing(list.error);
  const error = failure ?? (missing ? null : (list.error ?? layerList.error));
  const reload = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.items(dataset.id) }),
      queryClient.invalidateQueries({ queryKey: keys.layers(dataset.id) }),
    ]);

  if (missing) return null;
  return (
    <section className="card" aria-labelledby="items-title">
      <header className="section-header">
        <h2 id="items-title">Items</h2>
        {canUpload ? (
          <Upload
            datasetId={dataset.id}
            onUploaded={() => {
              void reload();
              onChange();
            }}
          />
        ) : null}
      </header>
      <ErrorNote error={error} />
      {items === null ? (
        <Spinner />
      ) : items.length === 0 ? (
        <p className="muted">{canUpload ? 'No items yet: upload files to add them.' : 'No items yet.'}</p>
      ) : (
        <ul className="grid">
          {items.map((item) => (
            <li key={item.id}>
              <button type="button" className={`tile ${selected?.id === item.id ? 'selected' : ''}`} onClick={() => setSelected(item)}>
                {/* Named by its content, "Open <file name>": the file type shown on a tile without a picture is not read. */}
                <span className="sr-only">Open </span>
                {isImage(item) ? (
                  <img src={`/api/v1/items/${item.id}/content`} alt="" loading="lazy" />
                ) : (
                  <span className="filetype" aria-hidden="true">
                    {item.name.includes('.') ? item.name.split('.').at(-1) : item.contentType.split('/')[1]}
                  </span>
                )}
                <span className="tile-name">{item.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage ? (
        <button type="button" className="more" onClick={() => void list.fetchNextPage()}>
          Load more
        </button>
      ) : null}
      {selected ? (
        <ItemAnnotations key={selected.id} item={selected} layers={layers} canAnnotate={canAnnotate} onChange={() => void reload()} />
      ) : null}
      <h3>Annotation layers</h3>
      {layers.length === 0 ? <p className="muted">No layers yet.</p> : null}
      <ul className="layers">
        {layers.map((l) => (
          <li key={l.id}>
            {l.name} <span className="muted">({plural(l.annotationCount, 'annotation')})</span>
          </li>
        ))}
      </ul>
      {canCreateLayer ? (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            api.createLayer(dataset.id, layerName).then(() => {
              setLayerName('');
              void reload();
            }, setError);
          }}
        >
          <Field label="New layer">
            {(id) => (
              <input id={id} value={layerName} onChange={(e) => setLayerName(e.target.value)} required placeholder="e.g. Vehicles" />
            )}
          </Field>
          <button type="submit">Create layer</button>
        </form>
      ) : null}
    </section>
  );
}
