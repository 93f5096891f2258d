"""A real training script that logs with the ML Sight Python logger (used by the extension-host tests)."""
import mlsight
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.metrics import accuracy_score, f1_score

mlsight.set_seed(0)
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)

with mlsight.start_run(experiment="terminal-exp", name="iris-logreg", tags={"source": "terminal"}) as run:
    run.log_params({"model": "LogisticRegression", "C": 0.5, "max_iter": 300})
    run.log_dataset("iris", X_train, role="train")
    run.log_dataset("iris", X_test, role="test")
    model = LogisticRegression(C=0.5, max_iter=300)
    for epoch in range(5):
        model.set_params(max_iter=60 * (epoch + 1)).fit(X_train, y_train)
        run.log_metric("train/accuracy", model.score(X_train, y_train), step=epoch)
    pred = model.predict(X_test)
    run.log_metrics({"accuracy": accuracy_score(y_test, pred), "f1_macro": f1_score(y_test, pred, average="macro")})
    run.log_feature_importance(list(X.columns), abs(model.coef_).mean(axis=0))
    run.log_model(model, name="logreg")
print("done")
