// The database commands of the vsw CLI end to end: the real `vsw` binary against the real
// daemons, started by tools/vsw-ctl in a private run directory. Every command runs with
// --no-wait (applying the configuration is vsw-switchd's business, tested elsewhere). Each test
// checks what the commands print, their exit codes, what they leave in the database, and that
// bad input leaves it unchanged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

extern "C" {
#include "lib/ipc.h"
#include "lib/json.h"
#include "proto/dbd.pb-c.h"
}

namespace {

struct Result {
    int exit_code;        // -1 if killed by a signal
    std::string out;
    std::string err;
};

// Reads a whole file descriptor from its start.
std::string ReadAll(int fd)
{
    std::string text;
    char buf[65536];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
    return text;
}

// Runs argv[0] with these arguments (no shell: values may hold spaces and quotes), with stdout
// and stderr captured apart in temporary files (pipes could fill up and block).
Result Exec(const std::vector<std::string> &argv)
{
    Result result{ -1, "", "" };
    char out_path[] = "/tmp/vsw-cli-out-XXXXXX";
    char err_path[] = "/tmp/vsw-cli-err-XXXXXX";
    int out_fd = mkstemp(out_path);
    int err_fd = mkstemp(err_path);
    if (out_fd < 0 || err_fd < 0) {
        result.err = "mkstemp failed";
        return result;
    }
    unlink(out_path);
    unlink(err_path);
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char *> args;
        for (const auto &a : argv)
            args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        dup2(out_fd, STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        execv(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
        result.exit_code = WEXITSTATUS(status);
    result.out = ReadAll(out_fd);
    result.err = ReadAll(err_fd);
    close(out_fd);
    close(err_fd);
    return result;
}

// "a b c" split at spaces, for command lines whose arguments hold none.
std::vector<std::string> Words(const std::string &line)
{
    std::vector<std::string> words;
    std::istringstream in(line);
    std::string word;
    while (in >> word)
        words.push_back(word);
    return words;
}

// One RFC 7047 request straight to dbd.sock. Returns ipc_call()'s result; *error gets its error.
int DbdCall(const std::string &rundir, uint32_t type, const ProtobufCMessage *request,
            const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
            ipc_error *error)
{
    ipc_client client;
    if (ipc_client_open(&client, rundir.c_str(), "dbd.sock", VSW__CHANNEL__CHANNEL_DBD, 10000) <
        0) {
        ipc_error_set(error, VSW__ERROR_CODE__ERROR_INTERNAL, "cannot open a client socket");
        return -1;
    }
    int rc = ipc_call(&client, type, request, reply_desc, reply, error);
    ipc_client_close(&client);
    return rc;
}

// Columns vsw-switchd writes that the schema does not mark ephemeral: reports, not
// configuration, and written whenever switchd reconciles.
const std::set<std::string> kReportColumns = { "Open_vSwitch.cur_cfg", "Interface.ofport",
                                               "Interface.error" };

// For every table of dbd's schema, "--columns=..." naming its configuration columns: every
// column but the ephemeral ones (status and statistics, which the daemons update at any time)
// and kReportColumns. Empty on failure.
std::map<std::string, std::string> ConfigurationColumns(const std::string &rundir)
{
    std::map<std::string, std::string> tables;
    Vsw__GetSchemaRequest request = VSW__GET_SCHEMA_REQUEST__INIT;
    ProtobufCMessage *reply = nullptr;
    ipc_error error;
    if (DbdCall(rundir, VSW__DBD_TYPE__DBD_GET_SCHEMA, &request.base,
                &vsw__get_schema_reply__descriptor, &reply, &error) < 0)
        return tables;
    const char *text = reinterpret_cast<Vsw__GetSchemaReply *>(reply)->schema_json;
    json *schema = json_parse(text, strlen(text), nullptr);
    protobuf_c_message_free_unpacked(reply, nullptr);
    json *json_tables = schema ? json_object_get(schema, "tables") : nullptr;
    for (size_t t = 0; json_tables && t < json_object_size(json_tables); t++) {
        std::string table = json_object_key_at(json_tables, t);
        json *columns = json_object_get(json_object_value_at(json_tables, t), "columns");
        std::string list = "--columns=_uuid";
        for (size_t c = 0; c < json_object_size(columns); c++) {
            std::string column = json_object_key_at(columns, c);
            json *ephemeral = json_object_get(json_object_value_at(columns, c), "ephemeral");
            if ((ephemeral && json_boolean(ephemeral)) || kReportColumns.count(table + "." + column))
                continue;
            list += "," + column;
        }
        tables[table] = list;
    }
    json_free(schema);
    return tables;
}

class DbCommands : public ::testing::Test {
  protected:
    static void SetUpTestSuite()
    {
        vsw_ = new VswInstance();
        CommandResult r = vsw_->Ctl("start");
        ASSERT_EQ(r.exit_code, 0) << r.output;
        columns_ = new std::map<std::string, std::string>(ConfigurationColumns(vsw_->rundir()));
    }
    static void TearDownTestSuite()
    {
        delete vsw_;
        vsw_ = nullptr;
        delete columns_;
        columns_ = nullptr;
    }

    // Each test starts from an initialized, empty database: clearing the root's references
    // lets garbage collection take every other row.
    void SetUp() override
    {
        ASSERT_FALSE(columns_->empty()) << "could not read dbd's schema";
        ASSERT_EQ(Ok("clear Open_vSwitch . bridges manager_options ssl other_config "
                     "external_ids"),
                  "");
        ASSERT_EQ(Ok("--columns=_uuid --bare list Open_vSwitch").size(), 37u)
            << "one root row, from vsw-ctl start's init";
    }

    // vsw --rundir DIR --no-wait --timeout 10 ARGS: bounded so that a stuck vsw-dbd fails the
    // test rather than hangs it.
    Result Vsw(const std::vector<std::string> &args) const
    {
        std::vector<std::string> argv = { Runfile("tools/vsw"), "--rundir", vsw_->rundir(),
                                          "--no-wait", "--timeout", "10" };
        argv.insert(argv.end(), args.begin(), args.end());
        return Exec(argv);
    }
    Result Vsw(const std::string &line) const { return Vsw(Words(line)); }

    // Runs a command line that must succeed quietly; returns its output.
    std::string Ok(const std::vector<std::string> &args) const
    {
        Result r = Vsw(args);
        EXPECT_EQ(r.exit_code, 0) << Join(args) << "\n" << r.err;
        EXPECT_EQ(r.err, "") << Join(args);
        return r.out;
    }
    std::string Ok(const std::string &line) const { return Ok(Words(line)); }

    // Runs a command line that must fail with `code`, saying `says` on stderr, printing nothing
    // on stdout and changing nothing in the database.
    void Fails(const std::vector<std::string> &args, int code, const std::string &says) const
    {
        std::string before = Snapshot();
        Result r = Vsw(args);
        EXPECT_EQ(r.exit_code, code) << Join(args) << "\n" << r.err;
        EXPECT_EQ(r.err.compare(0, 5, "vsw: "), 0) << Join(args) << "\n" << r.err;
        EXPECT_NE(r.err.find(says), std::string::npos) << Join(args) << "\n" << r.err;
        EXPECT_EQ(r.out, "") << Join(args);
        EXPECT_EQ(Snapshot(), before) << Join(args);
    }
    void Fails(const std::string &line, int code, const std::string &says) const
    {
        Fails(Words(line), code, says);
    }

    // The configuration in the database: `vsw list` of every table, its configuration columns,
    // in one transaction (so one consistent state), in JSON (one line a table), each table's
    // rows sorted (list shows them in no particular order, which a restart may change).
    std::string Snapshot() const
    {
        std::vector<std::string> args = { "--format=json" };
        for (const auto &table : *columns_) {
            if (args.size() > 1)
                args.push_back("--");
            args.insert(args.end(), { table.second, "list", table.first });
        }
        Result r = Vsw(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::istringstream lines(r.out);
        std::string line, snapshot;
        size_t n_tables = 0;
        for (; std::getline(lines, line); n_tables++)
            snapshot += SortedRows(line) + "\n";
        EXPECT_EQ(n_tables, columns_->size()) << r.out;
        return snapshot;
    }

    // {"data": [rows], "headings": [...]} as headings, then each row, sorted by its JSON text.
    static std::string SortedRows(const std::string &table_json)
    {
        json *table = json_parse(table_json.data(), table_json.size(), nullptr);
        json *data = table ? json_object_get(table, "data") : nullptr;
        json *headings = table ? json_object_get(table, "headings") : nullptr;
        if (!data || !headings) {
            json_free(table);
            return "not a table: " + table_json;
        }
        std::vector<std::string> rows;
        for (size_t i = 0; i < json_array_size(data); i++)
            rows.push_back(JsonText(json_array_at(data, i)));
        std::sort(rows.begin(), rows.end());
        std::string text = JsonText(headings);
        for (const auto &row : rows)
            text += "\n  " + row;
        json_free(table);
        return text;
    }

    static std::string JsonText(const json *value)
    {
        char *s = json_to_string(value);
        std::string text(s ? s : "");
        free(s);
        return text;
    }

    static std::string Join(const std::vector<std::string> &args)
    {
        std::string line;
        for (const auto &a : args)
            line += (line.empty() ? "" : " ") + a;
        return line;
    }

    static VswInstance *vsw_;
    static std::map<std::string, std::string> *columns_;   // table -> "--columns=..."
};
VswInstance *DbCommands::vsw_ = nullptr;
std::map<std::string, std::string> *DbCommands::columns_ = nullptr;

const char kMissingUuid[] = "12345678-1234-1234-1234-123456789abc";

TEST_F(DbCommands, InitWritesNothingWhenTheRootExists)
{
    std::string root = Ok("--columns=_uuid --bare list Open_vSwitch");
    std::string before = Snapshot();
    EXPECT_EQ(Ok("init"), "");
    EXPECT_EQ(Snapshot(), before);
    EXPECT_EQ(Ok("--columns=_uuid --bare list Open_vSwitch"), root);
}

TEST_F(DbCommands, RealAndFakeBridges)
{
    EXPECT_EQ(Ok("add-br br0"), "");
    EXPECT_EQ(Ok("add-br fk br0 7"), "");
    EXPECT_EQ(Ok("add-br br1 -- add-br fk1 br1 0"), "");
    EXPECT_EQ(Ok("list-br"), "br0\nbr1\nfk\nfk1\n");
    EXPECT_EQ(Ok("--real list-br"), "br0\nbr1\n");
    EXPECT_EQ(Ok("--fake list-br"), "fk\nfk1\n");
    EXPECT_EQ(Ok("br-exists br0 -- br-exists fk"), "");
    Result r = Vsw("br-exists nope");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out + r.err, "") << "br-exists answers with its exit code only";
    EXPECT_EQ(Ok("br-to-vlan fk -- br-to-parent fk -- br-to-vlan br0 -- br-to-parent br0"),
              "7\nbr0\n0\nbr0\n");
    EXPECT_EQ(Ok("br-to-vlan fk1 -- br-to-parent fk1"), "0\nbr1\n");
    // A fake bridge is a Port of its parent, with fake_bridge=true, its VLAN as tag and an
    // internal Interface, as in Open vSwitch.
    EXPECT_EQ(Ok("get Port fk fake_bridge tag -- get Interface fk type -- list-ports br0"),
              "true\n7\ninternal\n");
    Fails("br-to-vlan nope", 1, "no bridge named nope");
    Fails("add-br br0", 1, "cannot create a bridge named br0 because a bridge named br0 already "
                           "exists");
    Fails("add-br fk2 br0 7", 1, "bridge br0 already has a child VLAN bridge fk on VLAN 7");
    Fails("add-br fk2 fk 9", 1, "cannot create bridge with fake bridge as parent");
    Fails("add-br fk2 nope 9", 1, "parent bridge nope does not exist");
    Fails("add-br fk2 br0 4096", 2, "add-br: vlan must be between 0 and 4095");
    Fails("add-br fk2 br0", 2, "'add-br' command takes exactly 1 or 3 arguments");
    Fails("--may-exist add-br fk br0 8", 1, "but fk is a VLAN bridge for the wrong VLAN 7");
    EXPECT_EQ(Ok("--may-exist add-br br0 -- --may-exist add-br fk br0 7"), "");

    EXPECT_EQ(Ok("add-port fk vif1"), "");
    EXPECT_EQ(Ok("del-br fk"), "");
    EXPECT_EQ(Ok("list-br"), "br0\nbr1\nfk1\n");
    EXPECT_EQ(Ok("--columns=name --bare find Port name=vif1"), "") << "gone with its bridge";
    Fails("del-br fk", 1, "no bridge named fk");
    EXPECT_EQ(Ok("--if-exists del-br fk"), "");
    EXPECT_EQ(Ok("del-br br1"), "");
    EXPECT_EQ(Ok("list-br"), "br0\n") << "a real bridge takes its fake children with it";
}

TEST_F(DbCommands, PortsBondsAndInterfaces)
{
    Ok("add-br br0 -- add-br fk br0 7 -- add-br br1");
    EXPECT_EQ(Ok({ "add-port", "br0", "p1", "tag=5", "other_config:speed=fast",
                   "external_ids:owner=\"vm 1\"", "trunks=[1,2]" }),
              "");
    EXPECT_EQ(Ok("get Port p1 tag other_config external_ids trunks"),
              "5\n{speed=fast}\n{owner=\"vm 1\"}\n[1, 2]\n");
    EXPECT_EQ(Ok("add-port fk vif1"), "");
    EXPECT_EQ(Ok("get Port vif1 tag"), "7\n") << "a port of a fake bridge gets its VLAN";
    EXPECT_EQ(Ok("list-ports br0 -- list-ports fk"), "p1\nvif1\n");
    EXPECT_EQ(Ok("port-to-br p1 -- port-to-br vif1"), "br0\nfk\n");

    EXPECT_EQ(Ok("--fake-iface add-bond br1 bond0 eth0 eth1 bond_mode=balance-slb"), "");
    EXPECT_EQ(Ok("get Port bond0 bond_mode bond_fake_iface"), "balance-slb\ntrue\n");
    EXPECT_EQ(Ok("list-ifaces br1 -- list-ifaces fk -- list-ifaces br0"),
              "eth0\neth1\nvif1\np1\n");
    EXPECT_EQ(Ok("iface-to-br eth1 -- iface-to-br vif1 -- iface-to-br p1"), "br1\nfk\nbr0\n");
    EXPECT_EQ(Ok("--may-exist add-bond br1 bond0 eth1 eth0 -- --may-exist add-port br0 p1"), "");
    Fails("--may-exist add-port br1 p1", 1, "\"--may-exist add-port br1 p1\" but p1 is actually "
                                            "attached to bridge br0");
    Fails("add-port br1 eth0", 1, "cannot create a port named eth0 because an interface named "
                                  "eth0 already exists on bridge br1");
    Fails("add-port br1 p1", 1, "cannot create a port named p1 because a port named p1 already "
                                "exists on bridge br0");
    Fails("add-port nope p9", 1, "no bridge named nope");
    Fails("add-bond br1 bond1 eth9", 2, "'add-bond' command requires at least 4 arguments");
    Fails("del-port br1 p1", 1, "bridge br1 does not have a port p1");
    Fails("del-port eth0", 1, "no port named eth0");
    Fails("iface-to-br nope", 1, "no interface named nope");
    Fails("port-to-br nope", 1, "no port named nope");

    EXPECT_EQ(Ok("--with-iface del-port eth0"), "") << "deletes the bond holding eth0";
    EXPECT_EQ(Ok("list-ports br1 -- list-ifaces br1"), "");
    EXPECT_EQ(Ok("--columns=name --bare find Interface name=eth1"), "") << "gone with bond0";
    EXPECT_EQ(Ok("del-port br0 p1 -- del-port vif1 -- --if-exists del-port nope"), "");
    EXPECT_EQ(Ok("list-ports br0 -- list-ports fk"), "");
}

TEST_F(DbCommands, FailModeControllersAndManagers)
{
    Ok("add-br br0 -- add-br fk br0 7");
    EXPECT_EQ(Ok("get-fail-mode br0"), "");
    EXPECT_EQ(Ok("set-fail-mode br0 secure"), "");
    EXPECT_EQ(Ok("get-fail-mode br0 -- get-fail-mode fk"), "secure\nsecure\n");
    EXPECT_EQ(Ok("del-fail-mode br0 -- get-fail-mode br0"), "");
    Fails("set-fail-mode br0 bogus", 2, "fail-mode must be \"standalone\" or \"secure\"");
    Fails("set-fail-mode fk secure", 1, "fk is a fake bridge");
    Fails("set-fail-mode nope secure", 1, "no bridge named nope");

    EXPECT_EQ(Ok("set-controller br0 tcp:127.0.0.2:6653 tcp:127.0.0.1:6653"), "");
    EXPECT_EQ(Ok("get-controller br0 -- get-controller fk"),
              "tcp:127.0.0.1:6653\ntcp:127.0.0.2:6653\ntcp:127.0.0.1:6653\ntcp:127.0.0.2:6653\n");
    EXPECT_EQ(Ok("set-controller br0 ssl:127.0.0.3:6653 -- get-controller br0"),
              "ssl:127.0.0.3:6653\n");
    EXPECT_EQ(Ok("--columns=target --bare list Controller"), "ssl:127.0.0.3:6653\n")
        << "the replaced controllers are garbage collected";
    EXPECT_EQ(Ok("del-controller br0 -- get-controller br0"), "");
    EXPECT_EQ(Ok("--columns=target --bare list Controller"), "");
    Fails("set-controller fk tcp:127.0.0.1:6653", 1, "fk is a fake bridge");
    Result r = Vsw("set-controller br0 bogus");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.err.find("vsw: warning: target type \"bogus\" is possibly erroneous"),
              std::string::npos)
        << r.err;

    EXPECT_EQ(Ok("get-manager"), "");
    EXPECT_EQ(Ok("set-manager ptcp:6640:127.0.0.1 ssl:127.0.0.9:6632"), "");
    EXPECT_EQ(Ok("get-manager"), "ptcp:6640:127.0.0.1\nssl:127.0.0.9:6632\n");
    EXPECT_EQ(Ok("set-manager ptcp:6640:127.0.0.1 -- get-manager"), "ptcp:6640:127.0.0.1\n");
    EXPECT_EQ(Ok("--columns=target --bare list Manager"), "ptcp:6640:127.0.0.1\n");
    EXPECT_EQ(Ok("del-manager -- get-manager"), "");
    EXPECT_EQ(Ok("--columns=target --bare list Manager"), "");
}

TEST_F(DbCommands, EmerResetClearsWhatOpenVswitchClears)
{
    Ok("add-br br0 -- add-port br0 p1 -- add-br br1");
    Ok({ "set-controller", "br0", "tcp:127.0.0.1", "--", "set-fail-mode", "br0", "secure", "--",
         "set-manager", "ptcp:6640:127.0.0.1", "--", "set-ssl", "/k.pem", "/c.pem", "/ca.pem",
         "--", "set",
         "Bridge", "br0", "other_config:hwaddr=\"00:11:22:33:44:55\"", "other_config:x=y",
         "flood_vlans=[3]", "external_ids:keep=1", "--", "set", "Port", "p1",
         "other_config:a=b", "external_ids:e=f", "--", "set", "Interface", "p1",
         "ingress_policing_rate=100", "ingress_policing_burst=10", "other_config:i=j", "--",
         "set", "Open_vSwitch", ".", "other_config:o=p", "external_ids:system-id=h1", "--",
         "--id=@m", "create", "Mirror", "name=m0", "--", "add", "Bridge", "br0", "mirrors",
         "@m" });
    EXPECT_EQ(Ok("emer-reset"), "");
    EXPECT_EQ(Ok("get-controller br0 -- get-fail-mode br0 -- get-manager -- get-ssl"), "");
    EXPECT_EQ(Ok("get Bridge br0 other_config flood_vlans mirrors external_ids"),
              "{hwaddr=\"00:11:22:33:44:55\"}\n[]\n[]\n{keep=\"1\"}\n");
    EXPECT_EQ(Ok("get Port p1 other_config external_ids"), "{}\n{e=f}\n");
    EXPECT_EQ(Ok("get Interface p1 ingress_policing_rate ingress_policing_burst other_config"),
              "0\n0\n{i=j}\n");
    EXPECT_EQ(Ok("get Open_vSwitch . other_config external_ids"), "{o=p}\n{system-id=h1}\n");
    for (const char *table : { "Mirror", "Controller", "Manager", "SSL" })
        EXPECT_EQ(Ok({ "--columns=_uuid", "list", table }), "") << table;
    EXPECT_EQ(Ok("list-br -- list-ports br0"), "br0\nbr1\np1\n") << "bridges and ports stay";
}

TEST_F(DbCommands, GenericCommandsOnAnyTable)
{
    Ok("add-br br0 -- add-port br0 p1 tag=5 -- add-port br0 p2 tag=6");
    EXPECT_EQ(Ok("set Bridge br0 stp_enable=true external_ids:a=1 -- get Bridge br0 stp_enable "
                 "external_ids:a"),
              "true\n\"1\"\n");
    EXPECT_EQ(Ok("add Bridge br0 flood_vlans 10 20-22 -- get Bridge br0 flood_vlans"),
              "[10, 20, 21, 22]\n");
    EXPECT_EQ(Ok("remove Bridge br0 flood_vlans 20 21 -- get Bridge br0 flood_vlans"),
              "[10, 22]\n");
    EXPECT_EQ(Ok("add Bridge br0 external_ids b=2 c=3 -- remove Bridge br0 external_ids a c=3 "
                 "-- get Bridge br0 external_ids"),
              "{b=\"2\"}\n");
    EXPECT_EQ(Ok("clear Bridge br0 flood_vlans external_ids -- get Bridge br0 flood_vlans "
                 "external_ids"),
              "[]\n{}\n");
    Result r = Vsw("--if-exists get Bridge br0 external_ids:nope -- get Bridge br0 "
                   "external_ids:nope");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "vsw: no key \"nope\" in Bridge record \"br0\" column external_ids\n");

    EXPECT_EQ(Ok("--columns=name,tag find Port tag=5"), "name                : p1\n"
                                                        "tag                 : 5\n");
    EXPECT_EQ(Ok("--columns=name --bare find Port tag>5"), "p2\n");
    // {in}: a subset; the empty set (br0's own port has no tag) is one, hence the second test.
    EXPECT_EQ(Ok("--columns=name --bare find Port tag{in}[6,7] tag!=[]"), "p2\n");
    EXPECT_EQ(Ok("--columns=name,tag list Port p2"), "name                : p2\n"
                                                     "tag                 : 6\n");
    EXPECT_EQ(Ok("--if-exists --columns=name list Port nope"), "");
    std::string uuid = Ok("--columns=_uuid --bare list Port p1");
    ASSERT_EQ(uuid.size(), 37u);
    EXPECT_EQ(Ok({ "get", "Port", uuid.substr(0, 36), "name" }), "p1\n") << "by UUID";
    EXPECT_EQ(Ok({ "get", "Port", uuid.substr(0, 8), "name" }), "p1\n") << "by UUID prefix";

    // create prints the new row's UUID; a row nothing refers to would be garbage collected,
    // hence --id and a reference in the same transaction.
    r = Vsw("-- --id=@m create Mirror name=m0 select_all=true -- add Bridge br0 mirrors @m");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, Ok("--columns=_uuid --bare list Mirror"));
    EXPECT_EQ(Ok("--id=@p get Port p1 -- add Mirror m0 select_src_port @p -- get Mirror m0 "
                 "select_all"),
              "true\n");
    EXPECT_EQ(Ok("get Mirror m0 select_src_port"), "[" + uuid.substr(0, 36) + "]\n");
    Fails("destroy Mirror m0", 1, "transaction failed: referential integrity violation: cannot "
                                  "delete Mirror row");
    EXPECT_EQ(Ok("clear Bridge br0 mirrors -- destroy Mirror m0"), "");
    EXPECT_EQ(Ok("--columns=_uuid list Mirror"), "");
    EXPECT_EQ(Ok("--if-exists destroy Mirror m0"), "");
    r = Vsw({ "create", "Controller", "target=\"tcp:127.1.1.1\"" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.err.find("vsw: warning: applying \"create\" command to table Controller without "
                         "--id option will have no effect"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(Ok("--columns=_uuid list Controller"), "");
}

TEST_F(DbCommands, OutputFormats)
{
    Ok("add-br br0 -- add-port br0 p1 tag=5 -- add-port br0 p10");
    EXPECT_EQ(Ok("--format=table --columns=name,tag find Port tag=5"),
              "name tag\n"
              "---- ---\n"
              "p1   5\n");
    EXPECT_EQ(Ok("--format=table --no-headings --columns=name,tag list Port p10"), "p10 []\n");
    EXPECT_EQ(Ok("--format=json --columns=name,tag,trunks find Port tag=5"),
              "{\"data\":[[\"p1\",5,[\"set\",[]]]],\"headings\":[\"name\",\"tag\",\"trunks\"]}\n");
    EXPECT_EQ(Ok("--format=json --columns=name find Port name=nope"),
              "{\"data\":[],\"headings\":[\"name\"]}\n");
    EXPECT_EQ(Ok("--bare --columns=name,tag find Port tag=5"), "p1\n5\n");
    EXPECT_EQ(Ok("--oneline list-br -- list-ports br0 -- br-exists br0"), "br0\np1\\np10\n\n");
    Result r = Vsw("--format=yaml list Port");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("vsw: --format: 'yaml' is not list, table or json"), std::string::npos);
}

TEST_F(DbCommands, ChainedCommandsAreOneAtomicTransaction)
{
    EXPECT_EQ(Ok("add-br br0 -- add-port br0 p1 -- set Port p1 tag=3 -- list-ports br0 -- get "
                 "Port p1 tag"),
              "p1\n3\n");
    // The second command fails while the transaction is built: nothing is sent.
    Fails("add-br b1 -- add-port nope p2", 1, "no bridge named nope");
    // The second command fails at commit, in vsw-dbd: the first is rolled back with it.
    Fails({ "add-br", "b1", "--", "set", "Bridge", "b1", std::string("controller=") + kMissingUuid },
          1, "transaction failed: referential integrity violation");
    Fails("add-port br0 p2 -- add-port br0 p2", 1, "cannot create a port named p2 because a port "
                                                   "named p2 already exists on bridge br0");
    // A usage error in any command: nothing is even tried.
    Fails("add-br b1 -- set Port p1 tag=x", 2, "tag=x: \"x\" is not a valid integer");
    EXPECT_EQ(Ok("list-br -- list-ports br0"), "br0\np1\n");
}

TEST_F(DbCommands, BadInputIsRefusedAndChangesNothing)
{
    Ok("add-br br0 -- add-port br0 p1 tag=5");
    struct {
        std::vector<std::string> args;
        int code;
        std::string says;
    } cases[] = {
        { Words("list Nope"), 2, "unknown table \"Nope\"" },
        { Words("set Nope x a=b"), 2, "unknown table \"Nope\"" },
        { Words("set Bridge br0 nope=1"), 2,
          "Bridge does not contain a column whose name matches \"nope\"" },
        { Words("--columns=name,nope list Port"), 2,
          "Port does not contain a column whose name matches \"nope\"" },
        { Words("set Port p1 tag=abc"), 2, "tag=abc: \"abc\" is not a valid integer" },
        { Words("set Bridge br0 stp_enable=maybe"), 2, "\"maybe\" is not a valid boolean" },
        { Words("set Port p1 tag=99999"), 2,
          "tag=99999: constraint violation: 99999 is not in the valid range 0 to 4095" },
        { Words("set Bridge br0 fail_mode=bogus"), 2, "constraint violation: \"bogus\" is not "
                                                      "one of the allowed values" },
        { Words("set Port p1 name=p2"), 2, "cannot modify read-only column name in table Port" },
        { Words("set Port p1 tag=[1"), 2, "tag=[1: [1: missing \"]\" at end of data" },
        { Words("set Port p1 trunks=[1,,2]"), 2, "[1,,2]: unexpected \",\" parsing set" },
        { { "set", "Port", "p1", "other_config:a=\"b" }, 2,
          "\"b: missing quote at end of quoted string" },
        { Words("set Bridge br0 external_ids=a:b"), 2,
          "a:b: syntax error at \":b\" (expected \"=\" after a map key)" },
        { Words("set Bridge br0 external_ids={a=b"), 2, "{a=b: missing \"}\" at end of data" },
        { Words("set Bridge br0 mirrors=@m"), 2,
          "row id \"@m\" is referenced but never created" },
        { Words("set Port nope tag=1"), 1, "no row \"nope\" in table Port" },
        { Words("get Bridge nope name"), 1, "no row \"nope\" in table Bridge" },
        { { "set", "Bridge", "br0", std::string("controller=") + kMissingUuid }, 1,
          "transaction failed: referential integrity violation: table Bridge column controller "
          "row " },
        { { "add", "Bridge", "br0", "ports", kMissingUuid }, 1,
          "transaction failed: referential integrity violation" },
        { Words("frobnicate"), 2, "unknown command 'frobnicate' (try 'vsw --help')" },
        { Words("--if-exists add-br b2"), 2, "'add-br' command has no '--if-exists' option" },
        { Words("add-port br0"), 2, "'add-port' command requires at least 2 arguments" },
        { Words("--bogus list-br"), 2, "unknown option '--bogus' (try 'vsw --help')" },
    };
    for (const auto &c : cases)
        Fails(c.args, c.code, c.says);
    // A reference to a missing row names it.
    Result r = Vsw({ "set", "Bridge", "br0", std::string("controller=") + kMissingUuid });
    EXPECT_NE(r.err.find(std::string("references nonexistent row ") + kMissingUuid +
                         " in table Controller"),
              std::string::npos)
        << r.err;
}

// The IPC cap (8 MB) protects vsw-dbd before any parsing: the request is refused whole.
TEST_F(DbCommands, TenMegabyteTransactionIsRefusedWhole)
{
    Ok("add-br br0");
    std::string before = Snapshot();
    // A change the root row would keep if it were applied.
    std::string params = "[\"Open_vSwitch\",{\"op\":\"mutate\",\"table\":\"Open_vSwitch\","
                         "\"where\":[],\"mutations\":[[\"external_ids\",\"insert\",[\"map\",[["
                         "\"big\",\"" +
                         std::string(10 * 1024 * 1024, 'x') + "\"]]]]]}]";
    Vsw__TransactRequest request = VSW__TRANSACT_REQUEST__INIT;
    request.params_json = const_cast<char *>(params.c_str());
    ProtobufCMessage *reply = nullptr;
    ipc_error error;
    int rc = DbdCall(vsw_->rundir(), VSW__DBD_TYPE__DBD_TRANSACT, &request.base,
                     &vsw__transact_reply__descriptor, &reply, &error);
    if (reply)
        protobuf_c_message_free_unpacked(reply, nullptr);
    EXPECT_EQ(rc, -1);
    EXPECT_EQ(error.code, VSW__ERROR_CODE__ERROR_TOO_BIG) << error.message;
    EXPECT_NE(std::string(error.message).find("exceeds the limit of 8388608 bytes"),
              std::string::npos)
        << error.message;
    EXPECT_EQ(Snapshot(), before);
    EXPECT_EQ(Ok("get Open_vSwitch . external_ids -- list-br"), "{}\nbr0\n")
        << "vsw-dbd still serves";
}

TEST_F(DbCommands, ExitCodes)
{
    Ok("add-br br0");
    EXPECT_EQ(Vsw("br-exists br0").exit_code, 0);
    EXPECT_EQ(Vsw("br-exists nope").exit_code, 1);     // the condition is false
    EXPECT_EQ(Vsw("del-br nope").exit_code, 1);        // not found
    EXPECT_EQ(Vsw("add-br br0").exit_code, 1);         // refused
    EXPECT_EQ(Vsw("list-br extra").exit_code, 2);      // usage: nothing sent
    EXPECT_EQ(Vsw("list Nope").exit_code, 2);          // usage, found with the schema
    Result r = Vsw(std::vector<std::string>{});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "vsw: missing command (try 'vsw --help')\n");
    // Nothing running there.
    r = Exec({ Runfile("tools/vsw"), "--rundir", vsw_->rundir() + "/nowhere", "--no-wait",
               "list-br" });
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("vsw: cannot reach vsw-dbd: " + vsw_->rundir() +
                         "/nowhere/dbd.sock: No such file or directory (is vsw running?)"),
              std::string::npos)
        << r.err;
}

// Last: it restarts every daemon. The journal gives back the same rows, UUIDs included.
TEST_F(DbCommands, DatabaseSurvivesRestart)
{
    Ok("add-br br0 -- add-port br0 p1 tag=5 -- add-br fk br0 7 -- set-controller br0 "
       "tcp:127.0.0.1:6653 -- set-manager ptcp:6640:127.0.0.1 -- set Open_vSwitch . "
       "external_ids:system-id=h1");
    std::string before = Snapshot();
    CommandResult restart = vsw_->Ctl("restart");
    ASSERT_EQ(restart.exit_code, 0) << restart.output;
    EXPECT_EQ(Snapshot(), before);
    EXPECT_EQ(Ok("list-br -- list-ports br0 -- get-controller br0 -- get-manager"),
              "br0\nfk\np1\ntcp:127.0.0.1:6653\nptcp:6640:127.0.0.1\n");
    EXPECT_EQ(Ok("add-port br0 p2 -- list-ports br0"), "p1\np2\n") << "and takes changes";
}

}  // namespace
