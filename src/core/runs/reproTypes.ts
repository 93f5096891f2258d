/** Result types of the reproducibility check (no Node imports: the run page webview uses them too). */
export interface ReproCheck {
  id: 'seed' | 'packages' | 'commit' | 'clean-tree' | 'datasets' | 'data-unchanged';
  ok: boolean;
  detail: string;
}
export interface ReproReport {
  runId: string;
  passed: number;
  total: number;
  checks: ReproCheck[];
}
