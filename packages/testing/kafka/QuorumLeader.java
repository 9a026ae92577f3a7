// Prints the node id of the active KRaft controller (the metadata quorum's leader). Kafka's
// Metadata response names a random broker as "controller" in KRaft mode, so only DescribeQuorum
// tells; kafkajs does not speak it, the Java admin client in the broker's jars does.
// Run with the source launcher: java -cp <broker jars> QuorumLeader.java <bootstrap servers>
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class QuorumLeader {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        try (Admin admin = Admin.create(properties)) {
            System.out.println(admin.describeMetadataQuorum().quorumInfo().get().leaderId());
        }
    }
}
