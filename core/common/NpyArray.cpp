#include "common/NpyArray.h"

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/AtomicFile.h"
#include "common/Error.h"

namespace doppel {

int64_t NpyArray::elementCount() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

size_t NpyArray::elementSize() const {
    if (dtype == "|u1") return 1;
    if (dtype == "<f4" || dtype == "<i4") return 4;
    if (dtype == "<i8") return 8;
    throw Error(ErrorCode::InvalidInput, "unsupported npy dtype " + dtype);
}

NpyArray NpyArray::fromU8(std::vector<int64_t> shape, std::vector<uint8_t> data) {
    NpyArray a;
    a.dtype = "|u1";
    a.shape = std::move(shape);
    a.bytes = std::move(data);
    if (int64_t(a.bytes.size()) != a.elementCount())
        throw Error(ErrorCode::Internal, "npy: shape/data mismatch");
    return a;
}

NpyArray NpyArray::fromF32(std::vector<int64_t> shape, const std::vector<float>& data) {
    NpyArray a;
    a.dtype = "<f4";
    a.shape = std::move(shape);
    if (int64_t(data.size()) != a.elementCount())
        throw Error(ErrorCode::Internal, "npy: shape/data mismatch");
    a.bytes.resize(data.size() * 4);
    std::memcpy(a.bytes.data(), data.data(), a.bytes.size());
    return a;
}

NpyArray NpyArray::fromI64(std::vector<int64_t> shape, const std::vector<int64_t>& data) {
    NpyArray a;
    a.dtype = "<i8";
    a.shape = std::move(shape);
    if (int64_t(data.size()) != a.elementCount())
        throw Error(ErrorCode::Internal, "npy: shape/data mismatch");
    a.bytes.resize(data.size() * 8);
    std::memcpy(a.bytes.data(), data.data(), a.bytes.size());
    return a;
}

std::vector<float> NpyArray::toF32() const {
    if (dtype != "<f4") throw Error(ErrorCode::InvalidInput, "npy: expected float32, got " + dtype);
    std::vector<float> out(static_cast<size_t>(elementCount()));
    std::memcpy(out.data(), bytes.data(), out.size() * 4);
    return out;
}

std::vector<int64_t> NpyArray::toI64() const {
    std::vector<int64_t> out(static_cast<size_t>(elementCount()));
    if (dtype == "<i8") {
        std::memcpy(out.data(), bytes.data(), out.size() * 8);
    } else if (dtype == "<i4") {
        for (size_t i = 0; i < out.size(); ++i) {
            int32_t v;
            std::memcpy(&v, bytes.data() + i * 4, 4);
            out[i] = v;
        }
    } else {
        throw Error(ErrorCode::InvalidInput, "npy: expected an integer array, got " + dtype);
    }
    return out;
}

void writeNpy(const std::filesystem::path& path, const NpyArray& array) {
    std::ostringstream shape;
    shape << "(";
    for (size_t i = 0; i < array.shape.size(); ++i)
        shape << array.shape[i]
              << (array.shape.size() == 1 ? "," : (i + 1 < array.shape.size() ? ", " : ""));
    shape << ")";
    std::string header =
        "{'descr': '" + array.dtype + "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
    // Magic (6) + version (2) + header length (2) + header + '\n' is padded to a multiple of 64.
    size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');
    std::string out;
    out.reserve(10 + header.size() + array.bytes.size());
    out.append("\x93NUMPY", 6);
    out.push_back(char(1));
    out.push_back(char(0));
    out.push_back(char(header.size() & 0xff));
    out.push_back(char((header.size() >> 8) & 0xff));
    out += header;
    out.append(reinterpret_cast<const char*>(array.bytes.data()), array.bytes.size());
    writeFileAtomic(path, out);
}

NpyArray readNpy(const std::filesystem::path& path) {
    std::string data = readFileBytes(path);
    auto bad = [&](const std::string& why) {
        return Error(ErrorCode::InvalidInput, path.string() + ": " + why);
    };
    if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) throw bad("not a .npy file");
    int major = uint8_t(data[6]);
    size_t headerLen = 0, offset = 0;
    if (major == 1) {
        headerLen = uint8_t(data[8]) | (size_t(uint8_t(data[9])) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (data.size() < 12) throw bad("truncated header");
        headerLen = uint8_t(data[8]) | (size_t(uint8_t(data[9])) << 8) |
                    (size_t(uint8_t(data[10])) << 16) | (size_t(uint8_t(data[11])) << 24);
        offset = 12;
    } else {
        throw bad("unsupported .npy version");
    }
    if (data.size() < offset + headerLen) throw bad("truncated header");
    std::string header = data.substr(offset, headerLen);
    std::smatch m;
    NpyArray a;
    if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'")))
        throw bad("no dtype in header");
    a.dtype = m[1];
    if (std::regex_search(header, m, std::regex("'fortran_order':\\s*True")))
        throw bad("Fortran order is not supported");
    if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
        throw bad("no shape in header");
    std::string dims = m[1];
    std::regex number("[0-9]+");
    for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number);
         it != std::sregex_iterator(); ++it)
        a.shape.push_back(std::stoll(it->str()));
    size_t need = size_t(a.elementCount()) * a.elementSize();
    size_t start = offset + headerLen;
    if (data.size() - start < need)
        throw bad("data is shorter than its shape says (file truncated?)");
    a.bytes.assign(data.begin() + long(start), data.begin() + long(start + need));
    return a;
}

}  // namespace doppel
