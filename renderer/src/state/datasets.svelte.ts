// The imported datasets and the one selected on the Datasets page (also the Train form's first choice).
import type { DatasetSummary } from '../../../core/api/contract';
import { invoke, messageOf } from '../api-client';

class Datasets {
  list = $state.raw<DatasetSummary[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  selectedId = $state<string | null>(null);

  async refresh(): Promise<void> {
    try {
      this.list = await invoke('datasets:list');
      this.error = null;
      this.loaded = true;
      if (this.selectedId !== null && !this.list.some((d) => d.id === this.selectedId)) this.selectedId = null;
      if (this.selectedId === null) this.selectedId = this.list[0]?.id ?? null;
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  byId(id: string | null): DatasetSummary | undefined {
    return this.list.find((d) => d.id === id);
  }
}

export const datasets = new Datasets();
