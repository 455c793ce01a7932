import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Address } from '../../masking/mask.js';
import { Pii } from '../../masking/pii.decorator.js';

/** A customer as the API shows it. The @Pii fields are masked unless a reveal route serves them. */
export class CustomerResponse {
  @ApiProperty({ example: 'CUS-01JD8Q5Z3M7R4T6V8X0B2C4D6F' }) id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'J*** D***' }) @Pii('name') name!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'j***@example.com' }) @Pii('email') email!:
    string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '***67' }) @Pii('phone') phone!:
    string | null;
  @ApiPropertyOptional({ nullable: true, description: 'masked: city and country only' })
  @Pii('address')
  address!: Address | null;
  @ApiProperty() erased!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class CustomerExportResponse {
  @ApiProperty({ type: CustomerResponse }) customer!: CustomerResponse;
  @ApiProperty({ description: 'Everything else held about the person, by section (e.g. orders)' })
  related!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) exportedAt!: string;
}
