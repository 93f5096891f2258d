/**
 * What the analyzer knows about the Python ML libraries: which classes are transformers that learn from the rows
 * they are fitted on, which are samplers, models, searches, pipelines and splitters, which functions split data,
 * compute dataset-wide statistics, load data or compute metrics. Matching is by the simple (last) name, with the
 * module path used only where a name is ambiguous.
 */
import type { PyNode } from './parser';
import type { CallArgs, SourceText } from './syntax';
import { nameWords } from './partnames';

export type Category = 'transformer' | 'sampler' | 'model' | 'search' | 'pipeline' | 'splitter';
export type Task = 'classification' | 'regression' | 'clustering' | 'unknown';

export interface ClassInfo {
  cat: Category;
  task?: Task;
  /** Fitting learns statistics of the rows (a preprocessing-leak source). Encoders of categories are not sources. */
  source?: boolean;
  /** Sampler that creates duplicated or synthetic rows. */
  oversampler?: boolean;
  /** Splitter that always shuffles (needs random_state), or only with shuffle=True. */
  shuffles?: 'always' | 'option';
  /** Is a dummy baseline. */
  dummy?: boolean;
}

// a Map: looked up for every call by names sliced from the source (an object's lookup of such a key is slower, and
// would find Object.prototype's members for a Python name like `constructor`)
const table = new Map<string, ClassInfo>();
const add = (names: string, info: ClassInfo) => {
  for (const n of names.split(/\s+/).filter(Boolean)) {
    table.set(n, info);
  }
};

// Transformers whose fit learns from the data (scalers, imputers, discretisers, power/quantile, decompositions,
// feature selectors, vectorisers, clustering used as features, target encoders).
add(
  `StandardScaler MinMaxScaler MaxAbsScaler RobustScaler QuantileTransformer PowerTransformer KBinsDiscretizer
  SimpleImputer KNNImputer IterativeImputer MissingIndicator PCA KernelPCA IncrementalPCA SparsePCA MiniBatchSparsePCA
  TruncatedSVD FastICA NMF MiniBatchNMF FactorAnalysis LatentDirichletAllocation DictionaryLearning
  SelectKBest SelectPercentile SelectFromModel RFE RFECV VarianceThreshold GenericUnivariateSelect SelectFpr SelectFdr
  SelectFwe SequentialFeatureSelector Boruta BorutaPy CountVectorizer TfidfVectorizer TfidfTransformer DictVectorizer
  SplineTransformer TargetEncoder MEstimateEncoder JamesSteinEncoder LeaveOneOutEncoder CatBoostEncoder WOEEncoder
  GLMMEncoder QuantileEncoder CountEncoder Tokenizer TSNE UMAP Isomap LocallyLinearEmbedding
  KMeans MiniBatchKMeans GaussianMixture BayesianGaussianMixture Birch Normalization Discretization
  TextVectorization ImageDataGenerator`,
  { cat: 'transformer', source: true },
);
// Transformers that do not learn row statistics (or only the set of categories).
add(
  `LabelEncoder OneHotEncoder OrdinalEncoder LabelBinarizer MultiLabelBinarizer Normalizer Binarizer
  PolynomialFeatures FunctionTransformer HashingVectorizer FeatureHasher`,
  { cat: 'transformer' },
);
add(`SMOTE SMOTENC SMOTEN BorderlineSMOTE SVMSMOTE KMeansSMOTE ADASYN RandomOverSampler SMOTEENN SMOTETomek`, {
  cat: 'sampler',
  oversampler: true,
});
add(
  `RandomUnderSampler NearMiss TomekLinks EditedNearestNeighbours RepeatedEditedNearestNeighbours AllKNN
  ClusterCentroids CondensedNearestNeighbour OneSidedSelection NeighbourhoodCleaningRule InstanceHardnessThreshold`,
  { cat: 'sampler' },
);
add(
  `LogisticRegression LogisticRegressionCV SVC LinearSVC NuSVC KNeighborsClassifier RadiusNeighborsClassifier
  GaussianNB MultinomialNB BernoulliNB ComplementNB CategoricalNB Perceptron PassiveAggressiveClassifier
  LinearDiscriminantAnalysis QuadraticDiscriminantAnalysis NearestCentroid OneVsRestClassifier OneVsOneClassifier
  CalibratedClassifierCV LGBMClassifier XGBClassifier CatBoostClassifier KerasClassifier TabNetClassifier
  EasyEnsembleClassifier RUSBoostClassifier`,
  { cat: 'model', task: 'classification' },
);
add(`DummyClassifier`, { cat: 'model', task: 'classification', dummy: true });
add(`DummyRegressor`, { cat: 'model', task: 'regression', dummy: true });
add(
  `LinearRegression Ridge RidgeCV Lasso LassoCV LassoLars LassoLarsCV ElasticNet ElasticNetCV Lars LarsCV SVR LinearSVR
  NuSVR KernelRidge BayesianRidge ARDRegression HuberRegressor PoissonRegressor GammaRegressor TweedieRegressor
  QuantileRegressor TheilSenRegressor RANSACRegressor OrthogonalMatchingPursuit PLSRegression IsotonicRegression
  LGBMRegressor XGBRegressor CatBoostRegressor KerasRegressor TabNetRegressor`,
  { cat: 'model', task: 'regression' },
);
add(`Sequential Model LightningModule`, { cat: 'model', task: 'unknown' });
add(
  `IsolationForest OneClassSVM LocalOutlierFactor EllipticEnvelope DBSCAN AgglomerativeClustering SpectralClustering
  OPTICS MeanShift AffinityPropagation HDBSCAN`,
  { cat: 'model', task: 'clustering' },
);
add(
  `GridSearchCV RandomizedSearchCV HalvingGridSearchCV HalvingRandomSearchCV BayesSearchCV TunedThresholdClassifierCV`,
  { cat: 'search' },
);
add(`Pipeline ColumnTransformer FeatureUnion TransformedTargetRegressor DataFrameMapper`, { cat: 'pipeline' });
add(`ShuffleSplit StratifiedShuffleSplit GroupShuffleSplit RepeatedKFold RepeatedStratifiedKFold`, {
  cat: 'splitter',
  shuffles: 'always',
});
add(`KFold StratifiedKFold StratifiedGroupKFold`, { cat: 'splitter', shuffles: 'option' });
add(`GroupKFold TimeSeriesSplit LeaveOneOut LeavePOut LeaveOneGroupOut LeavePGroupsOut PredefinedSplit`, {
  cat: 'splitter',
});

/** Class knowledge by simple name, with suffix rules for the many `…Classifier`/`…Regressor` classes. */
export function classInfo(name: string): ClassInfo | undefined {
  const known = table.get(name);
  if (known) {
    return known;
  }
  if (/^[A-Z]\w*Classifier$/.test(name)) {
    return { cat: 'model', task: 'classification' };
  }
  if (/^[A-Z]\w*Regressor$/.test(name)) {
    return { cat: 'model', task: 'regression' };
  }
  return undefined;
}

/**
 * The transformer an object of unknown class is, judging by the name it is held under (`tfidf = config.tfidf`,
 * `self.scaler = load_scaler()`): a word of the name that only such transformers are called. `sc`, `cv`, `vec` and
 * `encoder` are not among them (a SparkContext, a cross-validator, a vector, a category encoder).
 */
const NAMED_TRANSFORMERS = new Map([
  ['tfidf', 'TfidfVectorizer'],
  ['vectorizer', 'CountVectorizer'],
  ['vectoriser', 'CountVectorizer'],
  ['vect', 'CountVectorizer'],
  ['scaler', 'StandardScaler'],
  ['imputer', 'SimpleImputer'],
  ['pca', 'PCA'],
  ['svd', 'TruncatedSVD'],
]);
/** Modules whose functions the analysis knows by kind (anything else may be a project's own module). */
export const KNOWN_LIBRARY =
  /^(np|numpy|pd|pandas|scipy|torch|tf|tensorflow|keras|sklearn|xgb|xgboost|lgb|lightgbm|cb|catboost|pl|polars|math|statsmodels|sm|smf|builtins)(\.|$)/;
/** Words naming an oversampler in a function's name (`apply_smote`, `oversample_minority`). */
const OVERSAMPLER_WORDS = new Set(['smote', 'adasyn', 'oversample', 'oversampling', 'upsample', 'upsampling']);
const FILL_WORDS = new Set(['fill', 'fillna', 'impute', 'imputation']);
const STAT_WORDS = new Set(['mean', 'median', 'mode', 'avg', 'average']);
const SCALE_WORDS = new Set(['standardize', 'standardise', 'zscore', 'minmax']);
/**
 * What a project's own helper from another module does, by its name: oversample (`apply_smote`), or compute a
 * statistic of the rows it is given (`fill_NaN_with_mean`, `standardize`).
 */
export function stepNamed(name: string): 'oversample' | 'stat' | undefined {
  const words = nameWords(name);
  if (words.some(w => OVERSAMPLER_WORDS.has(w))) {
    return 'oversample';
  }
  const fills = words.some(w => FILL_WORDS.has(w)) && words.some(w => STAT_WORDS.has(w));
  return fills || words.some(w => SCALE_WORDS.has(w)) ? 'stat' : undefined;
}
export function transformerNamed(name: string): string | undefined {
  for (const w of nameWords(name)) {
    const cls = NAMED_TRANSFORMERS.get(w);
    if (cls) {
      return cls;
    }
  }
  return undefined;
}

const MONOTONE_SCALERS = /^(StandardScaler|MinMaxScaler|MaxAbsScaler|RobustScaler)\./;
const TREE_MODELS =
  /^(DecisionTree|RandomForest|ExtraTrees?|GradientBoosting|HistGradientBoosting|XGB|LGBM|CatBoost)(Classifier|Regressor)$/;
interface Estimator {
  cls: string;
  cat: string;
  steps: Estimator[];
}
/**
 * A scaler (per feature, monotone) fitted on the rows that tree models alone are then cross-validated on (the whole
 * training part, or all rows when nothing is split off for testing) changes nothing: every tree splits the same rows
 * whatever the scale, so no fold's score can use what it learned. Not when something that depends on the scale was
 * learned after it (SMOTE's neighbours, a PCA).
 */
export function scalingUnseenByTrees(
  t: { id: number; what: string; cvOnly?: boolean; split?: unknown },
  est: Estimator | undefined,
  taints: { id: number; kind: string; what: string }[],
): boolean {
  const inner = est?.cat === 'search' ? est.steps[0] : est;
  const models = inner?.cat === 'pipeline' ? inner.steps : inner ? [inner] : [];
  const later = taints.filter(x => x.id > t.id);
  return (
    (!!t.cvOnly || !t.split) &&
    MONOTONE_SCALERS.test(t.what) &&
    models.length > 0 &&
    models.every(m => TREE_MODELS.test(m.cls)) &&
    later.every(x => x.kind === 'stat' || (x.kind === 'fit' && MONOTONE_SCALERS.test(x.what)))
  );
}

/**
 * Transformers whose output still holds every input column the model could learn the label from: per-column scalers
 * and imputers (one output column per input column) and selectors that keep the columns most related to the label
 * or with any variance (a column computed from the label is both).
 */
export const KEEPS_COLUMNS =
  /^(StandardScaler|MinMaxScaler|MaxAbsScaler|RobustScaler|QuantileTransformer|PowerTransformer|SimpleImputer|KNNImputer|IterativeImputer|VarianceThreshold|SelectKBest|SelectPercentile|GenericUnivariateSelect|SelectFpr|SelectFdr|SelectFwe)$/;

/** Functions that build pipelines (`make_pipeline` from sklearn or imblearn) or column transformers. */
export const PIPELINE_FUNCTIONS = new Set(['make_pipeline', 'make_union', 'make_column_transformer']);

/** Splitting functions with train/test outputs in the order of their positional arguments. */
export const SPLIT_FUNCTIONS = new Set(['train_test_split']);

/** Cross-validation helpers: (estimator, X, y, …) — each fits clones on folds of X. */
export const CV_FUNCTIONS = new Set([
  'cross_val_score',
  'cross_validate',
  'cross_val_predict',
  'learning_curve',
  'validation_curve',
  'permutation_test_score',
]);

/** Methods that fit an estimator on their first argument. */
export const FIT_METHODS = new Set([
  'fit',
  'partial_fit',
  'fit_transform',
  'fit_predict',
  'fit_resample',
  'fit_sample',
  'fit_on_texts',
  'fit_on_sequences',
  'fit_generator',
  'train_on_batch',
  // Keras preprocessing layers learn their statistics (mean/variance, bins, vocabulary) in `adapt`.
  'adapt',
]);

/** Methods that use a fitted estimator on their first argument (evaluation when that is test data). */
export const PREDICT_METHODS = new Set([
  'predict',
  'predict_proba',
  'predict_log_proba',
  'decision_function',
  'predict_classes',
  'predict_on_batch',
]);
export const SCORE_METHODS = new Set(['score', 'evaluate']);
export const TRANSFORM_METHODS = new Set([
  'transform',
  // Keras ImageDataGenerator: batches (or arrays) standardised with what `fit` learned.
  'flow',
  'standardize',
  'inverse_transform',
  'texts_to_sequences',
  'texts_to_matrix',
  'sequences_to_matrix',
]);

/** Dataset-wide statistics when called as a method on a DataFrame/Series/array. */
export const STAT_METHODS = new Set([
  'mean',
  'std',
  'var',
  'median',
  'quantile',
  'min',
  'max',
  'mode',
  'sum',
  'corr',
  'cov',
  'describe',
  'value_counts',
  'nunique',
  'sem',
  'skew',
  'kurt',
  'mad',
  'nanmean',
  'nanstd',
  'agg',
  'aggregate',
  'percentile',
  'idxmax',
  'idxmin',
]);
/** Dataset-wide statistics as numpy/scipy/sklearn functions (`np.mean(X)`, `preprocessing.scale(X)`, `pd.qcut`…). */
export const STAT_FUNCTIONS = new Set([
  'mean',
  'std',
  'var',
  'median',
  'quantile',
  'percentile',
  'nanmean',
  'nanstd',
  'nanmedian',
  'nanvar',
  'nanpercentile',
  'nanquantile',
  'average',
  'amax',
  'amin',
  // `np.min(X)` / `torch.max(x)`: only with a statistics module (never the builtins, see STAT_MODULES).
  'min',
  'max',
  'nanmin',
  'nanmax',
  'ptp',
  'qcut',
  'zscore',
  'scale',
  'minmax_scale',
  'robust_scale',
  'maxabs_scale',
  'quantile_transform',
  'power_transform',
  'corrcoef',
  'cov',
  // scipy.stats / scipy.stats.mstats: clipping at, ranking among or transforming with all the rows' distribution.
  'winsorize',
  'trimboth',
  'rankdata',
  'boxcox',
  'yeojohnson',
  'trim_mean',
  'iqr',
]);
/** Modules whose `mean`/`std`/… functions are statistics (never Python builtins like `max` or `sum`). */
export const STAT_MODULES =
  /^(numpy|np|scipy(\.stats(\.mstats)?)?|stats|mstats|pandas|pd|sklearn\.preprocessing|preprocessing|torch|tf|tensorflow)$/;

/** Classification metrics (functions in sklearn.metrics). */
export const CLASSIFICATION_METRICS = new Set([
  'accuracy_score',
  'balanced_accuracy_score',
  'f1_score',
  'precision_score',
  'recall_score',
  'roc_auc_score',
  'confusion_matrix',
  'classification_report',
  'log_loss',
  'matthews_corrcoef',
  'cohen_kappa_score',
  'average_precision_score',
  'precision_recall_curve',
  'roc_curve',
  'fbeta_score',
  'hamming_loss',
  'jaccard_score',
  'zero_one_loss',
  'precision_recall_fscore_support',
  'top_k_accuracy_score',
  'brier_score_loss',
  'multilabel_confusion_matrix',
  'from_predictions',
  'from_estimator',
  'det_curve',
  'hinge_loss',
]);
/** Classification metrics that are not accuracy (their presence means accuracy is not the only metric). */
export const NON_ACCURACY_CLASSIFICATION_METRICS = new Set(
  [...CLASSIFICATION_METRICS].filter(
    m => m !== 'accuracy_score' && m !== 'zero_one_loss' && m !== 'from_estimator' && m !== 'from_predictions',
  ),
);
export const REGRESSION_METRICS = new Set([
  'mean_squared_error',
  'mean_absolute_error',
  'r2_score',
  'root_mean_squared_error',
  'mean_absolute_percentage_error',
  'explained_variance_score',
  'median_absolute_error',
  'max_error',
  'mean_squared_log_error',
  'root_mean_squared_log_error',
  'mean_pinball_loss',
  'd2_absolute_error_score',
  'mean_poisson_deviance',
  'mean_gamma_deviance',
  'mean_tweedie_deviance',
]);
/** `scoring=` strings that are not plain accuracy. */
export const ACCURACY_SCORING = new Set(['accuracy']);

/** Functions that load or create a dataset (a new data root). */
export const LOADER_FUNCTIONS =
  /^(read_\w+|load_\w+|fetch_\w+|make_\w+|get_data_\w+|DataReader|genfromtxt|loadtxt|fromfile|load|DataFrame|Series|array|asarray|tensor|from_numpy|Dataset|DMatrix|Pool|\w+_dataset_from_directory|flow_from_directory|ImageFolder)$/;

/** Library functions whose result is a transformed copy of their first data argument (row-aligned). */
export const ROWWISE_FUNCTIONS =
  /^(get_dummies|log|log1p|log2|log10|exp|expm1|sqrt|square|abs|absolute|sign|clip|where|reshape|ravel|squeeze|expand_dims|transpose|nan_to_num|round|around|floor|ceil|astype|to_numeric|to_datetime|cut|array|asarray|tensor|from_numpy|as_tensor|DataFrame|Series|DMatrix|Dataset|Pool|TensorDataset|DataLoader|normalize|to_categorical|pad_sequences|isnan|isna|isnull|notna|stack|flip)$/;

/** Concatenation functions: their result holds the rows of all their inputs. */
export const CONCAT_FUNCTIONS = new Set([
  'concat',
  'concatenate',
  'vstack',
  'hstack',
  'column_stack',
  'row_stack',
  'append',
  'dstack',
  'cat',
  'merge',
]);

/** Calls that fix the global random seed. */
export const SEED_CALLS =
  /(^|\.)(random\.seed|manual_seed|manual_seed_all|set_seed|set_random_seed|seed_everything|seed_all|set_global_seed|setSeed|set_random_state|fix_seed|seed)$/;

/** Frameworks whose import means training uses unseeded global randomness (weight init, shuffling, dropout). */
export const RANDOM_FRAMEWORKS = /^(torch|tensorflow|keras|jax|pytorch_lightning|lightning)(\.|$)/;

/** gensim embeddings trained on a corpus of documents. */
export const EMBEDDINGS = /^(Word2Vec|FastText|Doc2Vec)$/;

/** Keras model classes: a model keeps its weights from one `fit()` call to the next. */
export const KERAS_MODELS = /^(Sequential|Model|Functional)$/;

/** numpy random draws that create new data (from a generator object or `np.random`). */
export const RANDOM_SAMPLERS =
  /^(permutation|choice|rand|randn|random|random_sample|normal|uniform|integers|randint|lognormal|binomial|poisson|exponential|beta|gamma|standard_normal|multivariate_normal|dirichlet|multinomial|laplace|logistic|chisquare|weibull)$/;

/**
 * CatBoost keeps the iteration best on its `eval_set` unless told not to (`use_best_model=False`): that data chooses
 * the model, as early stopping would.
 */
export function keepsBestIteration(
  obj: { cls: string; steps: { cls: string; args?: CallArgs }[]; args?: CallArgs },
  a: CallArgs,
  src: SourceText,
): boolean {
  const cb = [obj, ...obj.steps].find(o => /^CatBoost/.test(o.cls));
  const off = (k: PyNode | undefined) => !!k && src.slice(k) === 'False';
  return (
    !!cb &&
    a.keywords.has('eval_set') &&
    !off(a.keywords.get('use_best_model')) &&
    !off(cb.args?.keywords.get('use_best_model'))
  );
}

/** One shuffled split (`GroupShuffleSplit(n_splits=1)`): its held-out side is a test part, not a cross-validation fold. */
export function oneShuffledSplit(obj: { cls: string; args?: CallArgs }, src: SourceText): boolean {
  const n = obj.args?.keywords.get('n_splits') ?? obj.args?.positional[0];
  return /ShuffleSplit$/.test(obj.cls) && !!n && src.slice(n) === '1';
}
