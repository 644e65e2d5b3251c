// Python pickles read as data (common/PickleReader), as DeepFaceLab's faces carry them: the
// same dict pickled by Python 3.11 and numpy 1.24 with protocols 2 to 5 (the bytes below; the
// dict is in the comment) gives the same values, numpy arrays included; a pickle cut short or
// one of the text protocol is refused with a reason. Also the DeepFaceLab face read from such a
// dict (faces/EmbeddedFace), and the APP15 segment found in a JPEG's headers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/Error.h"
#include "common/PickleReader.h"
#include "faces/EmbeddedFace.h"

using namespace doppel;

namespace {

// {'face_type': 'whole_face', 'landmarks': [[1.5, -2.25], [3.0, 4.0]],
//  'mat': np.array([[1.0, 0.0, 5.0], [0.0, 2.0, -1.0]]),
//  'pts': np.float32([[10, 20], [30, 40], [50, 60]]), 'buf': np.frombuffer(b'\x89PNG', np.uint8),
//  'neg': -5, 'big': 2**40, 'rect': (1, 2, 300, 400), 'ok': True, 'none': None,
//  'raw': b'\x00\x01', 'tags': {7}}
const char* const kPicklesHex[] = {
    // protocol 2
    "80027d7100285809000000666163655f747970657101580a00000077686f6c655f6661636571025809000000"
    "6c616e646d61726b7371035d7104285d710528473ff800000000000047c002000000000000655d7106284740"
    "08000000000000474010000000000000656558030000006d61747107636e756d70792e636f72652e6d756c74"
    "6961727261790a5f7265636f6e7374727563740a7108636e756d70790a6e6461727261790a71094b0085710a"
    "635f636f646563730a656e636f64650a710b580100000062710c58060000006c6174696e31710d86710e5271"
    "0f877110527111284b014b024b03867112636e756d70790a64747970650a7113580200000066387114898887"
    "7115527116284b0358010000003c71174e4e4e4affffffff4affffffff4b007471186289680b583300000000"
    "0000000000c3b03f000000000000000000000000000014400000000000000000000000000000004000000000"
    "0000c3b0c2bf7119680d86711a52711b74711c625803000000707473711d680868094b0085711e680f87711f"
    "527120284b014b034b0286712168135802000000663471228988877123527124284b0368174e4e4e4affffff"
    "ff4affffffff4b007471256289680b581a000000000020410000c2a0410000c3b04100002042000048420000"
    "70427126680d867127527128747129625803000000627566712a680868094b0085712b680f87712c52712d28"
    "4b014b0485712e681358020000007531712f8988877130527131284b0358010000007c71324e4e4e4affffff"
    "ff4affffffff4b007471336289680b5805000000c289504e477134680d867135527136747137625803000000"
    "6e656771384afbffffff580300000062696771398a06000000000001580400000072656374713a284b014b02"
    "4d2c014d900174713b58020000006f6b713c8858040000006e6f6e65713d4e5803000000726177713e680b58"
    "020000000001713f680d8671405271415804000000746167737142635f5f6275696c74696e5f5f0a7365740a"
    "71435d71444b0761857145527146752e",
    // protocol 3
    "80037d7100285809000000666163655f747970657101580a00000077686f6c655f6661636571025809000000"
    "6c616e646d61726b7371035d7104285d710528473ff800000000000047c002000000000000655d7106284740"
    "08000000000000474010000000000000656558030000006d61747107636e756d70792e636f72652e6d756c74"
    "6961727261790a5f7265636f6e7374727563740a7108636e756d70790a6e6461727261790a71094b0085710a"
    "430162710b87710c52710d284b014b024b0386710e636e756d70790a64747970650a710f5802000000663871"
    "108988877111527112284b0358010000003c71134e4e4e4affffffff4affffffff4b00747114628943300000"
    "00000000f03f0000000000000000000000000000144000000000000000000000000000000040000000000000"
    "f0bf71157471166258030000007074737117680868094b00857118680b87711952711a284b014b034b028671"
    "1b680f58020000006634711c898887711d52711e284b0368134e4e4e4affffffff4affffffff4b0074711f62"
    "894318000020410000a0410000f0410000204200004842000070427120747121625803000000627566712268"
    "0868094b00857123680b877124527125284b014b04857126680f580200000075317127898887712852712928"
    "4b0358010000007c712a4e4e4e4affffffff4affffffff4b0074712b6289430489504e47712c74712d625803"
    "0000006e6567712e4afbffffff5803000000626967712f8a060000000000015804000000726563747130284b"
    "014b024d2c014d900174713158020000006f6b71328858040000006e6f6e6571334e58030000007261777134"
    "4302000171355804000000746167737136636275696c74696e730a7365740a71375d71384b07618571395271"
    "3a752e",
    // protocol 4
    "80049518020000000000007d94288c09666163655f74797065948c0a77686f6c655f66616365948c096c616e"
    "646d61726b73945d94285d9428473ff800000000000047c002000000000000655d9428474008000000000000"
    "47401000000000000065658c036d6174948c156e756d70792e636f72652e6d756c74696172726179948c0c5f"
    "7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b008594430162948794"
    "5294284b014b024b038694680b8c0564747970659493948c02663894898887945294284b038c013c944e4e4e"
    "4affffffff4affffffff4b00749462894330000000000000f03f000000000000000000000000000014400000"
    "0000000000000000000000000040000000000000f0bf947494628c0370747394680a680d4b008594680f8794"
    "5294284b014b034b02869468148c02663494898887945294284b0368184e4e4e4affffffff4affffffff4b00"
    "749462894318000020410000a0410000f041000020420000484200007042947494628c0362756694680a680d"
    "4b008594680f87945294284b014b04859468148c02753194898887945294284b038c017c944e4e4e4affffff"
    "ff4affffffff4b0074946289430489504e47947494628c036e6567944afbffffff8c03626967948a06000000"
    "0000018c047265637494284b014b024d2c014d900174948c026f6b94888c046e6f6e65944e8c037261779443"
    "020001948c0474616773948f94284b0790752e",
    // protocol 5
    "800595f2010000000000007d94288c09666163655f74797065948c0a77686f6c655f66616365948c096c616e"
    "646d61726b73945d94285d9428473ff800000000000047c002000000000000655d9428474008000000000000"
    "47401000000000000065658c036d6174948c126e756d70792e636f72652e6e756d65726963948c0b5f66726f"
    "6d62756666657294939428963000000000000000000000000000f03f00000000000000000000000000001440"
    "00000000000000000000000000000040000000000000f0bf948c056e756d7079948c0564747970659493948c"
    "02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b024b0386948c0143"
    "94749452948c0370747394680a28961800000000000000000020410000a0410000f041000020420000484200"
    "00704294680e8c02663494898887945294284b0368124e4e4e4affffffff4affffffff4b007494624b034b02"
    "86946815749452948c0362756694680a28430489504e4794680e8c02753194898887945294284b038c017c94"
    "4e4e4e4affffffff4affffffff4b007494624b0485946815749452948c036e6567944afbffffff8c03626967"
    "948a060000000000018c047265637494284b014b024d2c014d900174948c026f6b94888c046e6f6e65944e8c"
    "037261779443020001948c0474616773948f94284b0790752e",
};

std::string fromHex(const std::string& hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<double> numbersOf(const PickleValue* value) {
    EXPECT_NE(value, nullptr);
    if (!value) return {};
    auto numbers = flatNumbers(*value);
    EXPECT_TRUE(numbers.has_value());
    return numbers.value_or(std::vector<double>{});
}

}  // namespace

TEST(PickleReader, ReadsTheSameDictFromEveryBinaryProtocol) {
    for (const char* hex : kPicklesHex) {
        const std::string bytes = fromHex(hex);
        SCOPED_TRACE("protocol " + std::to_string(uint8_t(bytes[1])));
        const PickleRef dict = parsePickle(bytes);
        ASSERT_EQ(dict->kind, PickleValue::Kind::Dict);
        ASSERT_NE(dict->get("face_type"), nullptr);
        EXPECT_EQ(dict->get("face_type")->text, "whole_face");
        EXPECT_EQ(numbersOf(dict->get("landmarks")), (std::vector<double>{1.5, -2.25, 3, 4}));
        EXPECT_EQ(numbersOf(dict->get("mat")), (std::vector<double>{1, 0, 5, 0, 2, -1}));
        EXPECT_EQ(numbersOf(dict->get("pts")), (std::vector<double>{10, 20, 30, 40, 50, 60}));
        auto mat = numpyArray(*dict->get("mat"));
        ASSERT_TRUE(mat.has_value());
        EXPECT_EQ(mat->dtype, "f8");
        EXPECT_EQ(mat->shape, (std::vector<int64_t>{2, 3}));
        auto pts = numpyArray(*dict->get("pts"));
        ASSERT_TRUE(pts.has_value());
        EXPECT_EQ(pts->dtype, "f4");
        EXPECT_EQ(pts->shape, (std::vector<int64_t>{3, 2}));
        auto buf = numpyArray(*dict->get("buf"));
        ASSERT_TRUE(buf.has_value());
        EXPECT_EQ(buf->dtype, "u1");
        EXPECT_EQ(buf->data, std::string("\x89PNG"));
        EXPECT_EQ(dict->get("neg")->integer, -5);
        EXPECT_EQ(dict->get("big")->integer, int64_t(1) << 40);
        EXPECT_EQ(numbersOf(dict->get("rect")), (std::vector<double>{1, 2, 300, 400}));
        EXPECT_TRUE(dict->get("ok")->boolean);
        EXPECT_EQ(dict->get("none")->kind, PickleValue::Kind::None);
        EXPECT_EQ(dict->get("missing"), nullptr);
    }
}

TEST(PickleReader, RefusesATruncatedPickleAndTheTextProtocol) {
    const std::string whole = fromHex(kPicklesHex[2]);
    for (size_t cut : {size_t(1), size_t(40), whole.size() / 2, whole.size() - 1}) {
        try {
            parsePickle(whole.substr(0, cut));
            ADD_FAILURE() << "a pickle cut at " << cut << " bytes was accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ErrorCode::InvalidInput);
        }
    }
    // pickle.dumps({'a': 1}, protocol=0): text opcodes, which DeepFaceLab never writes.
    try {
        parsePickle("(dp0\nVa\np1\nI1\ns.");
        ADD_FAILURE() << "a protocol 0 pickle was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unsupported opcode"), std::string::npos) << e.what();
    }
}

TEST(EmbeddedFace, ReadsDeepFaceLabsDictAndRefusesOtherLandmarkCounts) {
    // The same dict, 'landmarks' 2 points: not a face.
    try {
        faceFromDeepFaceLabDict(fromHex(kPicklesHex[2]), 256, 256);
        ADD_FAILURE() << "2 landmarks were accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not 68 points (2)"), std::string::npos) << e.what();
    }
}

TEST(EmbeddedFace, FindsApp15AmongTheJpegHeaders) {
    // SOI, APP0 "JF", APP15 "hi", SOF0 8 bits 20x30, SOS: the scan is never walked into.
    const std::string jpeg =
        std::string("\xFF\xD8", 2) + std::string("\xFF\xE0\x00\x04JF", 6) +
        std::string("\xFF\xEF\x00\x04hi", 6) +
        std::string("\xFF\xC0\x00\x0B\x08\x00\x1E\x00\x14\x03\x01\x11\x00", 13) +
        std::string("\xFF\xDA\x00\x02", 4) + std::string("\xFF\xEF", 2);
    auto app15 = findJpegApp15(jpeg);
    ASSERT_TRUE(app15.has_value());
    EXPECT_EQ(app15->payload, "hi");
    EXPECT_EQ(app15->width, 20);
    EXPECT_EQ(app15->height, 30);
    EXPECT_FALSE(findJpegApp15(std::string("\xFF\xD8\xFF\xDA\x00\x02", 6)).has_value());
    EXPECT_FALSE(findJpegApp15("\x89PNG\r\n").has_value());
}
