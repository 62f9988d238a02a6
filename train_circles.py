"""Concentric circles with no hidden layer: 2 inputs -> 1 sigmoid output.

    python train_circles.py [--seed 0] [--epochs 1000] [--lr 1.0] [--out outputs] [--show]

Trains twice on make_circles(noise=0.05, factor=0.5): on raw (x1, x2), where no straight line
separates the classes (chance accuracy), and on (x1, x2, x1^2, x2^2), where one does.
Writes outputs/circles.png; the last line printed is the lifted model's test accuracy.
"""

from __future__ import annotations

import sys

from scratchnn._scripts import common_parser, pyplot, write_figure
from scratchnn.experiments import run_circles
from scratchnn.training import TrainingDivergedError


def main(argv: list[str] | None = None) -> int:
    parser = common_parser(__doc__.splitlines()[0], epochs=1000, lr=1.0, n_samples=1000,
                           noise=0.05)
    args = parser.parse_args(argv)
    try:
        results = run_circles(n_samples=args.n_samples, noise=args.noise, seed=args.seed,
                              epochs=args.epochs, lr=args.lr)
    except (ValueError, TrainingDivergedError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1

    for name, result in results.items():
        print(f"{name:>6}: train accuracy {result.train_accuracy:.4f}, test accuracy "
              f"{result.test_accuracy:.4f}, final loss {result.history.loss[-1]:.4f}")
        print(f"        {result.notes[0]}")

    from scratchnn import plotting

    plt = pyplot(args.show)

    fig, axes = plt.subplots(2, 2, figsize=(11, 10), height_ratios=[3, 2])
    for column, (name, label) in enumerate((("raw", "raw features (x1, x2)"),
                                            ("lifted", "lifted (x1, x2, x1², x2²)"))):
        result = results[name]
        plotting.plot_decision_boundary(
            result.predict_proba, result.X_train, result.y_train, result.X_test, result.y_test,
            ax=axes[0, column], title=f"No hidden layer, {label}")
        plotting.plot_history(result.history, ax=axes[1, column])
        axes[1, column].set_title(f"Training, {label}")
    fig.tight_layout()
    if write_figure(fig, args.out, "circles.png", parser.prog) is None:
        return 1
    if args.show:
        plt.show()
    print(f"test accuracy: {results['lifted'].test_accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
