"""The tiny vocabularies of the reference generators as SentencePiece BPE models, built the way Gemma's
tokenizer.model is: byte fallback, digits split, no dummy prefix, whitespace escaped, ids 0-3 = pad, eos, bos, unk."""

from sentencepiece import sentencepiece_model_pb2 as pb


def sentencepiece_proto(pieces, scores, types) -> pb.ModelProto:
    """`types` are GGUF token types (1 normal, 2 unknown, 3 control, 6 byte)."""
    T = pb.ModelProto.SentencePiece.Type
    kind = {1: T.NORMAL, 2: T.UNKNOWN, 3: T.CONTROL, 6: T.BYTE}
    m = pb.ModelProto()
    for p, s, t in zip(pieces, scores, types):
        sp = m.pieces.add()
        sp.piece, sp.score, sp.type = p, s, kind[t]
    t = m.trainer_spec
    t.model_type = pb.TrainerSpec.BPE
    t.vocab_size = len(pieces)
    t.byte_fallback = True
    t.split_digits = True
    t.allow_whitespace_only_pieces = True
    t.unk_id, t.bos_id, t.eos_id, t.pad_id = 3, 2, 1, 0
    n = m.normalizer_spec
    n.name = "identity"
    n.add_dummy_prefix = False
    n.remove_extra_whitespaces = False
    n.escape_whitespaces = True
    return m
