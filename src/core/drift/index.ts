/**
 * Drift monitoring over two tables (reference and current): loading (./dataset, ./csv, ./columns), Evidently's
 * column typing (./typing), the per-column report (./report), drift and performance over time (./overTime), the
 * retrain verdict (./verdict) and the report's JSON/CSV/text/HTML forms (./export). No `vscode` import.
 */
export * from './types';
export { ColumnBuilder, DICTIONARY_LIMIT, NA_STRINGS, parseDecimal, parseIsoDate } from './columns';
export type { Column } from './columns';
export { CsvSyntaxError, CsvTokenizer, sniffDelimiter } from './csv';
export {
  DATA_FILE_EXTENSIONS,
  DatasetError,
  DEFAULT_MAX_ROWS,
  formatOf,
  isDataFile,
  isPredictionLog,
  loadTable,
  PREDICTION_COLUMNS,
  readColumnNames,
  uniqueNames,
} from './dataset';
export type { LoadOptions, Table, TableFormat } from './dataset';
export { evidentlyColumnType, effectiveDtype, taskOf } from './typing';
export { buildDriftReport, buildDriftReportWith, effectiveSettings, runColumnTask } from './report';
export type { ColumnContext, ColumnResult, ColumnTask } from './report';
export { driftReportFromFiles, MIN_PARALLEL_BYTES } from './run';
export type { ReportHooks } from './run';
export { DriftPool, defaultThreads, serveDriftWorker } from './parallel';
export { computeOverTime, countChunks, chunkJsContinuous, planChunks, timeOrder } from './overTime';
export { decideVerdict } from './verdict';
export { ALPHA_SPLIT, bandMultiplier, calibrate, calibratedBand, lastRun, perChunkAlpha } from './calibrate';
export { applyMapping, DriftInputError, findDataQuality, parseColumnMap } from './inputs';
export { MEASURED_FALSE_ALARMS, verdictReasoning } from './explain';
export type { ReasoningSection } from './explain';
export {
  decodeNonFinite,
  encodeNonFinite,
  fmtNumber,
  reportToCsv,
  reportToHtml,
  reportToJson,
  reportToText,
  safeText,
} from './export';
export { guessRoles } from './roles';
export { loggedDatasets } from './loggedDatasets';
export type { LoggedDataset } from './loggedDatasets';
export {
  parseWatch,
  readWatchFile,
  removeWatch,
  saveWatch,
  WATCHES_FILE,
  WatchFileError,
  watchesFile,
} from './watches';
export type { DriftWatch, WatchFileContent } from './watches';
