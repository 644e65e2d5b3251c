#pragma once
// Reads a Python pickle as data, never running anything. DeepFaceLab keeps each aligned face's
// landmarks, face type and drawn XSeg polygons as a pickled dict inside the face's JPEG (an
// APP15 segment), so a user moving to Doppel can bring a faceset made there (faces/EmbeddedFace).
//
// The binary opcodes of protocols 2-5 that build plain data are understood: None, bools, ints,
// floats, str, bytes, lists, tuples, dicts, sets (as lists) and the memo. A reference to a class
// or function (GLOBAL / STACK_GLOBAL) stays a name, and calling it (REDUCE, NEWOBJ) or setting
// its state (BUILD) makes an Object that only records the name, the arguments and the state:
// that is how a numpy array arrives, and numpyArray() reads its dtype, shape and bytes from
// there. Anything else (the text opcodes of protocol 0, out-of-band buffers) is refused with
// Error(InvalidInput), as is a pickle that ends early.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace doppel {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

struct PickleValue {
    enum class Kind { None, Bool, Int, Float, String, Bytes, List, Tuple, Dict, Global, Object };
    Kind kind = Kind::None;
    bool boolean = false;
    int64_t integer = 0;
    double real = 0;
    std::string text;              ///< String (UTF-8), Bytes; Global: "module.name"
    std::vector<PickleRef> items;  ///< List, Tuple
    std::vector<std::pair<PickleRef, PickleRef>> entries;  ///< Dict, in insertion order
    PickleRef callable, arguments, state;                  ///< Object

    bool isNumber() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
    double number() const;  ///< Int, Float or Bool as a double; 0 for anything else
    /// The value under a string key of a Dict; nullptr when absent or not a Dict.
    const PickleValue* get(const std::string& key) const;
};

/// Throws Error(InvalidInput) saying what is wrong (truncated, an unsupported opcode...).
PickleRef parsePickle(const std::string& bytes);

/// A numpy array as pickled by numpy (ndarray's reduce with numpy.core.multiarray._reconstruct,
/// or _frombuffer for protocol 5): little-endian-or-not scalars of one type, C or Fortran order.
struct NumpyArray {
    std::string dtype;  ///< numpy's type code: "f4", "f8", "u1", "i4", "i8"...
    bool bigEndian = false;
    bool fortranOrder = false;
    std::vector<int64_t> shape;
    std::string data;  ///< the raw element bytes

    int64_t count() const;
    /// Every element as a double in C order (f2 excluded); nothing for a dtype it cannot read.
    std::optional<std::vector<double>> values() const;
};
std::optional<NumpyArray> numpyArray(const PickleValue& value);

/// The numbers of a nested list/tuple of numbers (8 levels at most), or of a numeric numpy array,
/// flattened in C order; nothing when it holds anything else.
std::optional<std::vector<double>> flatNumbers(const PickleValue& value);

}  // namespace doppel
