#include "common/PickleReader.h"

#include <cstring>
#include <map>

#include "common/Error.h"

namespace doppel {
namespace {

using Kind = PickleValue::Kind;

PickleRef make(Kind kind) {
    auto value = std::make_shared<PickleValue>();
    value->kind = kind;
    return value;
}

PickleRef makeInt(int64_t v) {
    PickleRef value = make(Kind::Int);
    value->integer = v;
    return value;
}

PickleRef makeText(Kind kind, std::string text) {
    PickleRef value = make(kind);
    value->text = std::move(text);
    return value;
}

/// The pickle virtual machine, restricted to building data (see the header).
class Machine {
  public:
    explicit Machine(const std::string& bytes) : bytes_(bytes) {}

    PickleRef run() {
        for (;;) {
            const uint8_t op = byte();
            switch (op) {
                case 0x80:  // PROTO
                    byte();
                    break;
                case 0x95:  // FRAME: a length hint only
                    take(8);
                    break;
                case '.':  // STOP
                    return popValue();
                case '(':  // MARK
                    marks_.push_back(stack_.size());
                    break;
                case 'N':  // NONE
                    push(make(Kind::None));
                    break;
                case 0x88:  // NEWTRUE
                    push(makeBool(true));
                    break;
                case 0x89:  // NEWFALSE
                    push(makeBool(false));
                    break;
                case 'K':  // BININT1
                    push(makeInt(byte()));
                    break;
                case 'M':  // BININT2
                    push(makeInt(int64_t(unsignedLE(2))));
                    break;
                case 'J':  // BININT
                    push(makeInt(int32_t(uint32_t(unsignedLE(4)))));
                    break;
                case 0x8a:  // LONG1
                    push(makeInt(signedLE(byte())));
                    break;
                case 0x8b:  // LONG4
                    push(makeInt(signedLE(size_t(unsignedLE(4)))));
                    break;
                case 'G':  // BINFLOAT
                    push(makeFloat(bigEndianDouble()));
                    break;
                case 0x8c:  // SHORT_BINUNICODE
                    push(makeText(Kind::String, take(byte())));
                    break;
                case 'X':  // BINUNICODE
                    push(makeText(Kind::String, take(unsignedLE(4))));
                    break;
                case 0x8d:  // BINUNICODE8
                    push(makeText(Kind::String, take(unsignedLE(8))));
                    break;
                case 'U':  // SHORT_BINSTRING
                    push(makeText(Kind::String, take(byte())));
                    break;
                case 'T':  // BINSTRING
                    push(makeText(Kind::String, take(unsignedLE(4))));
                    break;
                case 'C':  // SHORT_BINBYTES
                    push(makeText(Kind::Bytes, take(byte())));
                    break;
                case 'B':  // BINBYTES
                    push(makeText(Kind::Bytes, take(unsignedLE(4))));
                    break;
                case 0x8e:  // BINBYTES8
                case 0x96:  // BYTEARRAY8
                    push(makeText(Kind::Bytes, take(unsignedLE(8))));
                    break;
                case '}':  // EMPTY_DICT
                    push(make(Kind::Dict));
                    break;
                case ']':  // EMPTY_LIST
                    push(make(Kind::List));
                    break;
                case ')':  // EMPTY_TUPLE
                    push(make(Kind::Tuple));
                    break;
                case 0x8f:  // EMPTY_SET: a list will do
                    push(make(Kind::List));
                    break;
                case 't': {  // TUPLE
                    PickleRef tuple = make(Kind::Tuple);
                    tuple->items = popToMark();
                    push(tuple);
                    break;
                }
                case 0x91: {  // FROZENSET
                    PickleRef list = make(Kind::List);
                    list->items = popToMark();
                    push(list);
                    break;
                }
                case 0x85:
                case 0x86:
                case 0x87: {  // TUPLE1..3
                    const size_t n = size_t(op - 0x84);
                    need(n);
                    PickleRef tuple = make(Kind::Tuple);
                    tuple->items.assign(stack_.end() - std::ptrdiff_t(n), stack_.end());
                    stack_.resize(stack_.size() - n);
                    push(tuple);
                    break;
                }
                case 'a': {  // APPEND
                    PickleRef item = popValue();
                    listOnTop().items.push_back(item);
                    break;
                }
                case 'e':     // APPENDS
                case 0x90: {  // ADDITEMS (sets)
                    std::vector<PickleRef> items = popToMark();
                    PickleValue& list = listOnTop();
                    list.items.insert(list.items.end(), items.begin(), items.end());
                    break;
                }
                case 's': {  // SETITEM
                    PickleRef value = popValue();
                    PickleRef key = popValue();
                    dictOnTop().entries.emplace_back(key, value);
                    break;
                }
                case 'u': {  // SETITEMS
                    std::vector<PickleRef> items = popToMark();
                    if (items.size() % 2) fail("SETITEMS with an odd number of items");
                    PickleValue& dict = dictOnTop();
                    for (size_t i = 0; i < items.size(); i += 2)
                        dict.entries.emplace_back(items[i], items[i + 1]);
                    break;
                }
                case 0x94:  // MEMOIZE
                    memo_[uint32_t(memo_.size())] = top();
                    break;
                case 'q':  // BINPUT
                    memo_[byte()] = top();
                    break;
                case 'r':  // LONG_BINPUT
                    memo_[uint32_t(unsignedLE(4))] = top();
                    break;
                case 'h':  // BINGET
                    push(memoAt(byte()));
                    break;
                case 'j':  // LONG_BINGET
                    push(memoAt(uint32_t(unsignedLE(4))));
                    break;
                case 'c': {  // GLOBAL
                    std::string module = line();
                    push(makeText(Kind::Global, module + "." + line()));
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    PickleRef name = popValue();
                    PickleRef module = popValue();
                    if (name->kind != Kind::String || module->kind != Kind::String)
                        fail("STACK_GLOBAL without a module and a name");
                    push(makeText(Kind::Global, module->text + "." + name->text));
                    break;
                }
                case 'R':     // REDUCE: callable(*args), recorded rather than called
                case 0x81: {  // NEWOBJ: cls.__new__(cls, *args), the same to us
                    PickleRef args = popValue();
                    PickleRef object = make(Kind::Object);
                    object->callable = popValue();
                    object->arguments = args;
                    push(object);
                    break;
                }
                case 0x92: {  // NEWOBJ_EX: cls, args, kwargs
                    popValue();
                    PickleRef args = popValue();
                    PickleRef object = make(Kind::Object);
                    object->callable = popValue();
                    object->arguments = args;
                    push(object);
                    break;
                }
                case 'b': {  // BUILD: setstate
                    PickleRef state = popValue();
                    PickleRef target = top();
                    if (target->kind == Kind::Object)
                        target->state = state;
                    else if (target->kind == Kind::Dict && state->kind == Kind::Dict)
                        target->entries.insert(target->entries.end(), state->entries.begin(),
                                               state->entries.end());
                    else
                        fail("BUILD on something that is not an object");
                    break;
                }
                default: {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "0x%02x", op);
                    fail(std::string("unsupported opcode ") + hex + " at byte " +
                         std::to_string(at_ - 1));
                }
            }
        }
    }

  private:
    [[noreturn]] void fail(const std::string& why) const {
        throw Error(ErrorCode::InvalidInput, "pickle: " + why);
    }
    uint8_t byte() {
        if (at_ >= bytes_.size()) fail("ends early (truncated)");
        return uint8_t(bytes_[at_++]);
    }
    std::string take(uint64_t n) {
        if (n > bytes_.size() - at_) fail("ends early (truncated)");
        std::string out = bytes_.substr(at_, size_t(n));
        at_ += size_t(n);
        return out;
    }
    uint64_t unsignedLE(size_t n) {
        const std::string raw = take(n);
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;) v = (v << 8) | uint8_t(raw[i]);
        return v;
    }
    int64_t signedLE(size_t n) {
        if (n == 0) return 0;
        if (n > 8) fail("an integer wider than 64 bits");
        uint64_t v = unsignedLE(n);
        if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        return int64_t(v);
    }
    double bigEndianDouble() {
        const std::string raw = take(8);
        uint64_t bits = 0;
        for (char c : raw) bits = (bits << 8) | uint8_t(c);
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
    }
    std::string line() {
        const size_t end = bytes_.find('\n', at_);
        if (end == std::string::npos) fail("ends early (truncated)");
        std::string out = bytes_.substr(at_, end - at_);
        at_ = end + 1;
        return out;
    }
    static PickleRef makeBool(bool b) {
        PickleRef value = make(Kind::Bool);
        value->boolean = b;
        return value;
    }
    static PickleRef makeFloat(double d) {
        PickleRef value = make(Kind::Float);
        value->real = d;
        return value;
    }
    void push(PickleRef value) { stack_.push_back(std::move(value)); }
    void need(size_t n) const {
        const size_t floor = marks_.empty() ? 0 : marks_.back();
        if (stack_.size() < floor + n) fail("stack underflow");
    }
    PickleRef popValue() {
        need(1);
        PickleRef value = stack_.back();
        stack_.pop_back();
        return value;
    }
    const PickleRef& top() const {
        need(1);
        return stack_.back();
    }
    std::vector<PickleRef> popToMark() {
        if (marks_.empty()) fail("no MARK to pop to");
        const size_t mark = marks_.back();
        marks_.pop_back();
        std::vector<PickleRef> items(stack_.begin() + std::ptrdiff_t(mark), stack_.end());
        stack_.resize(mark);
        return items;
    }
    PickleValue& listOnTop() {
        const PickleRef& list = top();
        if (list->kind != Kind::List) fail("APPEND to something that is not a list");
        return *list;
    }
    PickleValue& dictOnTop() {
        const PickleRef& dict = top();
        if (dict->kind != Kind::Dict) fail("SETITEM on something that is not a dict");
        return *dict;
    }
    PickleRef memoAt(uint32_t key) const {
        auto it = memo_.find(key);
        if (it == memo_.end()) fail("memo key " + std::to_string(key) + " not set");
        return it->second;
    }

    const std::string& bytes_;
    size_t at_ = 0;
    std::vector<PickleRef> stack_;
    std::vector<size_t> marks_;
    std::map<uint32_t, PickleRef> memo_;
};

bool endsWith(const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() &&
           text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

/// numpy.dtype(code, align, copy) with state (version, byte order, ...).
bool readDtype(const PickleValue& value, NumpyArray& out) {
    if (value.kind != Kind::Object || !value.callable || value.callable->text != "numpy.dtype" ||
        !value.arguments || value.arguments->items.empty() ||
        value.arguments->items[0]->kind != Kind::String)
        return false;
    out.dtype = value.arguments->items[0]->text;
    if (value.state && value.state->kind == Kind::Tuple && value.state->items.size() > 1 &&
        value.state->items[1]->kind == Kind::String)
        out.bigEndian = value.state->items[1]->text == ">";
    return true;
}

bool readShape(const PickleValue& value, NumpyArray& out) {
    if (value.kind == Kind::Int) {
        out.shape = {value.integer};
        return true;
    }
    if (value.kind != Kind::Tuple && value.kind != Kind::List) return false;
    out.shape.clear();
    for (const PickleRef& item : value.items) {
        if (item->kind != Kind::Int || item->integer < 0) return false;
        out.shape.push_back(item->integer);
    }
    return true;
}

/// Protocol 2 has no bytes type: Python 3 pickles bytes there as _codecs.encode(text, "latin1"),
/// the text holding one character per byte (UTF-8 in the pickle).
std::optional<std::string> protocol2Bytes(const PickleValue& value) {
    if (value.kind != Kind::Object || !value.callable || value.callable->text != "_codecs.encode" ||
        !value.arguments || value.arguments->items.size() != 2 ||
        value.arguments->items[0]->kind != Kind::String)
        return std::nullopt;
    const std::string& utf8 = value.arguments->items[0]->text;
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
        const uint8_t c = uint8_t(utf8[i]);
        if (c < 0x80) {
            out.push_back(char(c));
        } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size() && c <= 0xC3) {
            out.push_back(char(((c & 0x03) << 6) | (uint8_t(utf8[++i]) & 0x3F)));
        } else {
            return std::nullopt;  // a character above U+00FF: not latin-1 bytes
        }
    }
    return out;
}

size_t elementSize(const std::string& dtype) {
    if (dtype.size() < 2) return 0;
    try {
        return size_t(std::stoi(dtype.substr(1)));
    } catch (...) {
        return 0;
    }
}

}  // namespace

double PickleValue::number() const {
    switch (kind) {
        case Kind::Int:
            return double(integer);
        case Kind::Float:
            return real;
        case Kind::Bool:
            return boolean ? 1 : 0;
        default:
            return 0;
    }
}

const PickleValue* PickleValue::get(const std::string& key) const {
    if (kind != Kind::Dict) return nullptr;
    for (const auto& [k, v] : entries)
        if (k->kind == Kind::String && k->text == key) return v.get();
    return nullptr;
}

PickleRef parsePickle(const std::string& bytes) {
    return Machine(bytes).run();
}

int64_t NumpyArray::count() const {
    int64_t n = 1;
    for (int64_t side : shape) n *= side;
    return n;
}

std::optional<std::vector<double>> NumpyArray::values() const {
    const size_t size = elementSize(dtype);
    if (dtype.empty() || size == 0 || data.size() != size_t(count()) * size) return std::nullopt;
    const char type = dtype[0];
    if (!((type == 'f' && (size == 4 || size == 8)) ||
          ((type == 'i' || type == 'u') && (size == 1 || size == 2 || size == 4 || size == 8))))
        return std::nullopt;
    std::vector<double> out(static_cast<size_t>(count()));
    for (size_t i = 0; i < out.size(); ++i) {
        uint64_t bits = 0;
        for (size_t b = 0; b < size; ++b) {
            const size_t from = bigEndian ? b : size - 1 - b;
            bits = (bits << 8) | uint8_t(data[i * size + from]);
        }
        double v;
        if (type == 'f' && size == 4) {
            uint32_t b32 = uint32_t(bits);
            float f;
            std::memcpy(&f, &b32, sizeof f);
            v = f;
        } else if (type == 'f') {
            std::memcpy(&v, &bits, sizeof v);
        } else if (type == 'u') {
            v = double(bits);
        } else {
            if (size < 8 && (bits >> (8 * size - 1)) & 1) bits |= ~uint64_t(0) << (8 * size);
            v = double(int64_t(bits));
        }
        out[i] = v;
    }
    if (fortranOrder && shape.size() == 2) {  // the two-dimensional case is all faces need
        std::vector<double> c(out.size());
        const size_t rows = size_t(shape[0]), cols = size_t(shape[1]);
        for (size_t r = 0; r < rows; ++r)
            for (size_t col = 0; col < cols; ++col) c[r * cols + col] = out[col * rows + r];
        out.swap(c);
    } else if (fortranOrder && shape.size() > 2) {
        return std::nullopt;
    }
    return out;
}

std::optional<NumpyArray> numpyArray(const PickleValue& value) {
    if (value.kind != Kind::Object || !value.callable || value.callable->kind != Kind::Global)
        return std::nullopt;
    const std::string& name = value.callable->text;
    NumpyArray out;
    if (endsWith(name, "multiarray._reconstruct")) {
        // state: (version, shape, dtype, is_fortran, raw bytes)
        const PickleValue* state = value.state.get();
        if (!state || state->kind != Kind::Tuple || state->items.size() < 5) return std::nullopt;
        if (!readShape(*state->items[1], out) || !readDtype(*state->items[2], out))
            return std::nullopt;
        out.fortranOrder = state->items[3]->kind == Kind::Bool && state->items[3]->boolean;
        const PickleValue& raw = *state->items[4];
        if (raw.kind == Kind::Bytes || raw.kind == Kind::String) {
            out.data = raw.text;
            return out;
        }
        if (auto latin1 = protocol2Bytes(raw)) {
            out.data = *latin1;
            return out;
        }
        return std::nullopt;
    }
    if (endsWith(name, "numeric._frombuffer")) {
        // arguments: (buffer, dtype, shape, order)
        const PickleValue* args = value.arguments.get();
        if (!args || args->kind != Kind::Tuple || args->items.size() < 4) return std::nullopt;
        if (args->items[0]->kind != Kind::Bytes || !readDtype(*args->items[1], out) ||
            !readShape(*args->items[2], out))
            return std::nullopt;
        out.data = args->items[0]->text;
        out.fortranOrder = args->items[3]->kind == Kind::String && args->items[3]->text == "F";
        return out;
    }
    return std::nullopt;
}

namespace {

std::optional<std::vector<double>> flatNumbersBelow(const PickleValue& value, int depth) {
    if (value.isNumber()) return std::vector<double>{value.number()};
    if ((value.kind == Kind::List || value.kind == Kind::Tuple) && depth < 8) {
        std::vector<double> out;
        for (const PickleRef& item : value.items) {
            auto inner = flatNumbersBelow(*item, depth + 1);
            if (!inner) return std::nullopt;
            out.insert(out.end(), inner->begin(), inner->end());
        }
        return out;
    }
    if (auto array = numpyArray(value)) return array->values();
    return std::nullopt;
}

}  // namespace

std::optional<std::vector<double>> flatNumbers(const PickleValue& value) {
    return flatNumbersBelow(value, 0);
}

}  // namespace doppel
