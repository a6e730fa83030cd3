"""The seed models written by hand with the Keras functional API.

Each function builds, uncompiled, the model that the spec of the same stem in
specs/seeds/ describes: same inputs (names, shapes, dtypes, in declaration
order), same layers, and the last layer of every output named after the output,
so that `model.output_names` matches. The tests compare what graphspec builds
against these.
"""

from __future__ import annotations

import keras
from keras import layers


def build_fashion_cnn() -> keras.Model:
    image = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(image)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(100, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    label = layers.Dense(10, activation="softmax", name="label")(x)
    return keras.Model(inputs=[image], outputs=[label], name="fashion_cnn")


def build_branched_regressor() -> keras.Model:
    input_layer = keras.Input(shape=(3,), name="input_layer")
    hidden = layers.Dense(10, activation="relu")(input_layer)
    hidden = layers.Dense(10, activation="relu")(hidden)
    y1 = layers.Dense(1, activation="linear", name="y1_output")(hidden)
    branch = layers.Dense(10, activation="relu")(hidden)
    y2 = layers.Dense(1, activation="linear", name="y2_output")(branch)
    return keras.Model(inputs=[input_layer], outputs=[y1, y2], name="branched_regressor")


def _ticket_router_graph():
    title = keras.Input(shape=(10000,), name="title")
    text_body = keras.Input(shape=(10000,), name="text_body")
    tags = keras.Input(shape=(100,), name="tags")
    features = layers.Concatenate()([title, text_body, tags])
    features = layers.Dense(64, activation="relu")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(4, activation="softmax", name="department")(features)
    return [title, text_body, tags], features, [priority, department]


def build_ticket_router() -> keras.Model:
    inputs, _, outputs = _ticket_router_graph()
    return keras.Model(inputs=inputs, outputs=outputs, name="ticket_router")


def build_ticket_router_v2() -> keras.Model:
    # The parent's graph, then the child's own output after the parent's ones.
    inputs, features, outputs = _ticket_router_graph()
    difficulty = layers.Dense(3, activation="softmax", name="difficulty")(features)
    return keras.Model(inputs=inputs, outputs=[*outputs, difficulty], name="ticket_router_v2")


def build_ticket_sequences() -> keras.Model:
    title = keras.Input(shape=(None,), name="title", dtype="int32")
    body = keras.Input(shape=(None,), name="body", dtype="int32")
    tags = keras.Input(shape=(12,), name="tags")
    title_features = layers.LSTM(128)(layers.Embedding(10000, 64)(title))
    body_features = layers.LSTM(32)(layers.Embedding(10000, 64)(body))
    joined = layers.Concatenate()([title_features, body_features, tags])
    priority = layers.Dense(1, activation="sigmoid", name="priority")(joined)
    department = layers.Dense(4, activation="softmax", name="department")(joined)
    return keras.Model(
        inputs=[title, body, tags], outputs=[priority, department], name="ticket_sequences"
    )


def build_question_answering() -> keras.Model:
    text = keras.Input(shape=(None,), name="text", dtype="int32")
    question = keras.Input(shape=(None,), name="question", dtype="int32")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    joined = layers.Concatenate()([encoded_text, encoded_question])
    answer = layers.Dense(500, activation="softmax", name="answer")(joined)
    return keras.Model(inputs=[text, question], outputs=[answer], name="question_answering")


def build_social_profile() -> keras.Model:
    posts = keras.Input(shape=(None,), name="posts", dtype="int32")
    h = layers.Embedding(50000, 256)(posts)
    h = layers.Conv1D(128, 5, activation="relu")(h)
    h = layers.MaxPooling1D(5)(h)
    h = layers.Conv1D(256, 5, activation="relu")(h)
    h = layers.Conv1D(256, 5, activation="relu")(h)
    h = layers.MaxPooling1D(5)(h)
    h = layers.Conv1D(256, 5, activation="relu")(h)
    h = layers.Conv1D(256, 5, activation="relu")(h)
    h = layers.GlobalMaxPooling1D()(h)
    h = layers.Dense(128, activation="relu")(h)
    age = layers.Dense(1, name="age")(h)
    income = layers.Dense(10, activation="softmax", name="income")(h)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(h)
    return keras.Model(inputs=[posts], outputs=[age, income, gender], name="social_profile")


def build_inception_block() -> keras.Model:
    x = keras.Input(shape=(64, 64, 32), name="x")
    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)

    branch_b = layers.Conv2D(128, 1, activation="relu")(x)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_b)

    branch_c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_c)

    branch_d = layers.Conv2D(128, 1, activation="relu")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_d)

    features = layers.Concatenate(name="features")([branch_a, branch_b, branch_c, branch_d])
    return keras.Model(inputs=[x], outputs=[features], name="inception_block")


def build_residual_projection() -> keras.Model:
    x = keras.Input(shape=(32, 32, 64), name="x")
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    shortcut = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    features = layers.Add(name="features")([y, shortcut])
    return keras.Model(inputs=[x], outputs=[features], name="residual_projection")


def build_siamese_lstm() -> keras.Model:
    left = keras.Input(shape=(None, 128), name="left")
    right = keras.Input(shape=(None, 128), name="right")
    encoder = layers.LSTM(32)  # one layer object, two calls: shared weights
    merged = layers.Concatenate()([encoder(left), encoder(right)])
    same = layers.Dense(1, activation="sigmoid", name="same")(merged)
    return keras.Model(inputs=[left, right], outputs=[same], name="siamese_lstm")


def build_encoder_net() -> keras.Model:
    img = keras.Input(shape=(250, 250, 3), name="img")
    h = layers.Conv2D(32, 3, strides=2, activation="relu")(img)
    h = layers.Conv2D(64, 3, strides=2, activation="relu")(h)
    features = layers.GlobalAveragePooling2D(name="features")(h)
    # A single tensor, not a one-element list, so that calling the model as a
    # layer returns a tensor rather than a list.
    return keras.Model(inputs=img, outputs=features, name="encoder_net")


def build_dual_camera() -> keras.Model:
    left = keras.Input(shape=(250, 250, 3), name="left")
    right = keras.Input(shape=(250, 250, 3), name="right")
    encoder = build_encoder_net()  # a model used as one layer on both inputs
    merged = layers.Concatenate()([encoder(left), encoder(right)])
    depth = layers.Dense(1, name="depth")(merged)
    return keras.Model(inputs=[left, right], outputs=[depth], name="dual_camera")


REFERENCES = {
    "fashion_cnn": build_fashion_cnn,
    "branched_regressor": build_branched_regressor,
    "ticket_router": build_ticket_router,
    "ticket_router_v2": build_ticket_router_v2,
    "ticket_sequences": build_ticket_sequences,
    "question_answering": build_question_answering,
    "social_profile": build_social_profile,
    "inception_block": build_inception_block,
    "residual_projection": build_residual_projection,
    "siamese_lstm": build_siamese_lstm,
    "dual_camera": build_dual_camera,
}

# The seeds whose spec has a compile block: graphspec returns them compiled.
TRAINED = frozenset(
    {
        "fashion_cnn",
        "branched_regressor",
        "ticket_router",
        "ticket_router_v2",
        "ticket_sequences",
        "question_answering",
        "social_profile",
    }
)


if __name__ == "__main__":
    for stem, build in REFERENCES.items():
        model = build()
        print(f"{stem:22s} {model.count_params():>10,d}  outputs={model.output_names}")
